using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Text;
using Vyra.Cli.Commands;
using Vyra.Cli.Infrastructure;

namespace Vyra.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        Console.OutputEncoding = new UTF8Encoding(false);
        var root = new RootCommand("vyra: inspect, validate, call, scaffold, benchmark, convert the manifests of, and sign VYRA WebAssembly plugins.\n\n" + ExitCodes.HelpTable)
        {
            InspectCommand.Create(),
            ValidateCommand.Create(),
            CallCommand.Create(),
            NewCommand.Create(),
            BenchCommand.Create(),
            ConvertCommand.Create(),
            KeygenCommand.Create(),
            SignCommand.Create(),
            VerifyCommand.Create(),
        };
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            var name = parse.CommandResult.Command == root ? "vyra" : $"vyra {parse.CommandResult.Command.Name}";
            // A script that asked for JSON gets JSON even when the command line itself is wrong.
            if (parse.Tokens.Any(t => t.Type == TokenType.Option && t.Value == JsonMode.Name))
            {
                JsonMode.WriteError(ExitCodes.Usage, string.Join("; ", parse.Errors.Select(e => e.Message)) + $" (run '{name} --help' for usage)");
                return ExitCodes.Usage;
            }
            foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {error.Message}");
            Console.Error.WriteLine($"Run '{name} --help' for usage.");
            return ExitCodes.Usage;
        }
        return await parse.InvokeAsync().ConfigureAwait(false);
    }
}
