using System.CommandLine;
using Vyra.Sdk;

namespace Vyra.Cli.Infrastructure;

/// <summary>
/// <c>--json</c>, which every command takes: standard output then holds exactly one JSON document — the command's
/// report, or <c>{"error": {"code": N, "message": "..."}}</c> when it fails — so a script parses stdout and reads the
/// exit code, and never scrapes text. Standard error keeps only what a human might want (guest logs, the runtime's log).
/// </summary>
internal static class JsonMode
{
    public const string Name = "--json";

    public static Option<bool> CreateOption() => new(Name)
    {
        Description = "Print one machine-readable JSON document on standard output, errors included ({\"error\": {\"code\": N, \"message\": ...}}); shapes in docs/cli.md.",
    };

    /// <summary>Writes a command's report (a dictionary, list or value) as one line of JSON.</summary>
    public static void Write(object? document, bool indented = false) =>
        Console.Out.WriteLine(JsonOutput.Serialize(document, indented));

    /// <summary>
    /// The error document. <c>code</c> is the exit code; a failed plugin call adds <c>kind</c> (the
    /// <see cref="PluginErrorKind"/> name), <c>plugin</c> and <c>function</c>.
    /// </summary>
    public static void WriteError(int code, string message, PluginCallException? call = null)
    {
        var error = new Dictionary<string, object?> { ["code"] = code, ["message"] = message };
        if (call is not null)
        {
            error["kind"] = call.Kind.ToString();
            error["plugin"] = call.PluginId;
            error["function"] = call.FunctionName;
        }
        Write(new Dictionary<string, object?> { ["error"] = error });
    }
}
