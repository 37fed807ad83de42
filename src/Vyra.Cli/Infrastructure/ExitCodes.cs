using Vyra.Sdk;

namespace Vyra.Cli.Infrastructure;

/// <summary>The process exit codes of every command (docs/cli.md keeps the same table).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>inspect: the module does not fit its manifest; validate: a plugin is invalid; bench/new: the command failed.</summary>
    public const int Failed = 1;
    public const int Usage = 2;
    /// <summary>The plugin could not be loaded or started (manifest, module, signatures, imports, init).</summary>
    public const int LoadFailed = 3;
    public const int UnknownFunction = 4;
    public const int InvalidArgument = 5;
    public const int Trap = 6;
    public const int Timeout = 7;
    public const int OutOfFuel = 8;
    public const int MemoryLimit = 9;
    public const int StackOverflow = 10;
    public const int HostFunction = 11;
    public const int Abi = 12;
    public const int Cancelled = 13;
    public const int NotStarted = 14;
    /// <summary>call: the module file is no module (empty, HTML, no wasm header) and --stub was not given.</summary>
    public const int NotAModule = 15;

    public static int For(PluginErrorKind kind) => kind switch
    {
        PluginErrorKind.UnknownFunction => UnknownFunction,
        PluginErrorKind.InvalidArgument => InvalidArgument,
        PluginErrorKind.Trap => Trap,
        PluginErrorKind.Timeout => Timeout,
        PluginErrorKind.OutOfFuel => OutOfFuel,
        PluginErrorKind.MemoryLimit => MemoryLimit,
        PluginErrorKind.StackOverflow => StackOverflow,
        PluginErrorKind.HostFunction => HostFunction,
        PluginErrorKind.Abi => Abi,
        PluginErrorKind.Cancelled => Cancelled,
        PluginErrorKind.NotStarted => NotStarted,
        _ => Failed,
    };

    /// <summary>The table as it appears in <c>--help</c>.</summary>
    public const string HelpTable =
        "Exit codes: 0 ok; 1 invalid/mismatched (inspect, validate) or failed (new, bench, convert); 2 usage error; " +
        "3 plugin failed to load or start; call failures by kind: 4 UnknownFunction, 5 InvalidArgument, 6 Trap, 7 Timeout, " +
        "8 OutOfFuel, 9 MemoryLimit, 10 StackOverflow, 11 HostFunction, 12 Abi, 13 Cancelled, 14 NotStarted; " +
        "15 the module file is no module (call without --stub).";
}

/// <summary>A usage problem found after parsing (bad path, bad key=value, bad JSON): exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
