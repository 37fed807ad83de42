using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text;
using Vyra.Cli.Commands;
using Vyra.Cli.Infrastructure;

namespace Vyra.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        Console.OutputEncoding = new UTF8Encoding(false);
        var root = new RootCommand("vyra: inspect, validate, call, scaffold, benchmark and convert the manifests of VYRA WebAssembly plugins. " + ExitCodes.HelpTable)
        {
            InspectCommand.Create(),
            ValidateCommand.Create(),
            CallCommand.Create(),
            NewCommand.Create(),
            BenchCommand.Create(),
            ConvertCommand.Create(),
        };
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {error.Message}");
            var name = parse.CommandResult.Command == root ? "vyra" : $"vyra {parse.CommandResult.Command.Name}";
            Console.Error.WriteLine($"Run '{name} --help' for usage.");
            return ExitCodes.Usage;
        }
        return await parse.InvokeAsync().ConfigureAwait(false);
    }
}
