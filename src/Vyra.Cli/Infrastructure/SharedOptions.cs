using System.CommandLine;
using Vyra.Sdk;

namespace Vyra.Cli.Infrastructure;

/// <summary>The runtime flags <c>call</c> and <c>bench</c> share: --stub, --timeout, --fuel, --verbose.</summary>
internal sealed class SharedOptions
{
    private Option<bool> _stub = null!;
    private Option<int?> _timeout = null!;
    private Option<ulong?> _fuel = null!;
    private Option<bool> _verbose = null!;

    public static SharedOptions Create() => new()
    {
        _stub = new Option<bool>("--stub") { Description = "Use the stub backend (ping, get_state, set_state) instead of Wasmtime." },
        _timeout = new Option<int?>("--timeout") { Description = "Wall-clock limit per call in milliseconds (0: none). Default: the manifest's timeout_ms, else 10000.", HelpName = "ms" },
        _fuel = new Option<ulong?>("--fuel") { Description = "Fuel budget per call (instructions, roughly). Default: the manifest's fuel, else unmetered.", HelpName = "n" },
        _verbose = new Option<bool>("--verbose", "-v") { Description = "Print the runtime's log (debug and up) on standard error." },
    };

    public void AddTo(Command command)
    {
        command.Add(_stub);
        command.Add(_timeout);
        command.Add(_fuel);
        command.Add(_verbose);
    }

    public bool Stub(ParseResult result) => result.GetValue(_stub);

    public PluginRuntimeOptions Options(ParseResult result) =>
        CommandRunner.Options(result.GetValue(_timeout), result.GetValue(_fuel), result.GetValue(_verbose));
}
