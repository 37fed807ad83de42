using System.CommandLine;
using Vyra.Cli.Infrastructure;
using Vyra.Sdk;

namespace Vyra.Cli.Commands;

/// <summary><c>vyra call &lt;plugin&gt; &lt;function&gt; [key=value ...]</c>: start the plugin, call once, print the result as JSON.</summary>
internal static class CallCommand
{
    public static Command Create()
    {
        var plugin = new Argument<string>("plugin") { Description = "A plugin folder or a .wasm/.wat module file." };
        var function = new Argument<string>("function") { Description = "The export to call (ping is built in)." };
        var pairs = new Argument<string[]>("arguments")
        {
            Description = "Arguments as key=value. Values are strings, coerced like Python's int()/float(); for json arguments the value is parsed as JSON.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var argsJson = new Option<string?>("--args") { Description = "Arguments as a JSON object, e.g. '{\"a\": 2}'; key=value pairs win on the same key.", HelpName = "json" };
        var json = JsonMode.CreateOption();
        var state = new Option<string[]>("--state")
        {
            Description = "Initial state key=value (repeatable), passed to init at start.",
            AllowMultipleArgumentsPerToken = false,
        };
        var stateJson = new Option<string?>("--state-json") { Description = "Initial state as a JSON object (instead of --state)." };
        var shared = SharedOptions.Create();
        var indent = new Option<bool>("--indent") { Description = "Print the result indented." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Do not print the plugin's host_log lines and events on standard error." };

        var command = new Command("call", "Start a plugin, call one function and print the result as JSON on standard output " +
            "(with --json, failures are JSON too). " + ExitCodes.SeeTable)
        {
            plugin, function, pairs, argsJson, json, state, stateJson, indent, quiet,
        };
        shared.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            var location = PluginLocation.Resolve(result.GetRequiredValue(plugin));
            var name = result.GetRequiredValue(function);
            var initialState = InitialState(result.GetValue(state), result.GetValue(stateJson));
            var manifest = CommandRunner.TryReadManifest(location);
            var data = CallArguments.Build(result.GetValue(pairs), result.GetValue(argsJson), "--args", manifest, name);
            var options = shared.Options(result);
            var host = new ConsoleHost(result.GetValue(quiet));

            var stub = shared.Stub(result);
            await using var runtime = PluginRuntime.Create(location.ReadId(), location.ModulePath, host, initialState, stub, options);
            CommandRunner.RefuseStubFallback(runtime, stub, location);
            await runtime.StartAsync(cancellationToken).ConfigureAwait(false);
            var answer = await runtime.CallAsync(name, data, cancellationToken).ConfigureAwait(false);
            Console.Out.WriteLine(JsonOutput.Serialize(answer, result.GetValue(indent)));
            return ExitCodes.Ok;
        }, result.GetValue(json)));
        return command;
    }

    internal static Dictionary<string, object?>? InitialState(string[]? pairs, string? json)
    {
        var hasPairs = pairs is { Length: > 0 };
        if (hasPairs && json is not null) throw new UsageException("give the initial state with --state or --state-json, not both");
        if (json is not null) return CallArguments.ParseObject(json, "--state-json");
        return hasPairs ? CallArguments.Build(pairs, null, "--state") : null;
    }
}
