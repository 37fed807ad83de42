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
    /// <summary>call, bench: the module file is no module (empty, HTML, no wasm header) and --stub was not given.</summary>
    public const int NotAModule = 15;
    public const int Reentrant = 16;
    public const int Overloaded = 17;
    public const int PermissionDenied = 18;
    public const int Blocked = 19;

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
        PluginErrorKind.Reentrant => Reentrant,
        PluginErrorKind.Overloaded => Overloaded,
        PluginErrorKind.PermissionDenied => PermissionDenied,
        PluginErrorKind.Blocked => Blocked,
        // A kind added to the kernel later: still a failure, never success (a test checks every kind has its own code).
        _ => Failed,
    };

    /// <summary>The table as <c>vyra --help</c> shows it, once; each command's description points here.</summary>
    public const string HelpTable = """
        Exit codes (every command):
          0      ok
          1      inspect: mismatched or unreadable; validate: something invalid or nothing found; new, convert,
                 keygen: failed; verify: the signature is missing, invalid or untrusted
          2      usage error
          3      the plugin failed to load or start
          4-14   a call failed (call, bench), by kind: 4 UnknownFunction, 5 InvalidArgument, 6 Trap, 7 Timeout,
                 8 OutOfFuel, 9 MemoryLimit, 10 StackOverflow, 11 HostFunction, 12 Abi, 13 Cancelled, 14 NotStarted
          15     the module file is no module (call, bench without --stub)
          16-19  a call failed, by kind: 16 Reentrant, 17 Overloaded, 18 PermissionDenied, 19 Blocked
        With --json, standard output holds one JSON document, errors too: {"error": {"code": N, "message": ...}} (docs/cli.md).
        """;

    /// <summary>What each command's description ends with instead of repeating the table.</summary>
    public const string SeeTable = "Exit codes: see 'vyra --help'.";
}

/// <summary>A usage problem found after parsing (bad path, bad key=value, bad JSON): exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The command could not do its work (an output file exists, a manifest cannot be written in YAML): exit code 1.</summary>
internal sealed class CommandFailedException(string message) : Exception(message);
