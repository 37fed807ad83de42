namespace Vyra.Sdk;

/// <summary>
/// What a plugin may see of the outside world through WASI (<c>wasi_snapshot_preview1</c>). Plugins get no WASI at
/// all unless <see cref="PluginRuntimeOptions.Wasi"/> grants it; a grant gives exactly what it lists: no arguments,
/// environment, standard streams or directories beyond these.
/// </summary>
public sealed record WasiGrants
{
    /// <summary>The import module WASI functions come from.</summary>
    public const string ModuleName = "wasi_snapshot_preview1";

    /// <summary>Command-line arguments the guest sees.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Environment variables the guest sees (none of the host's are passed on).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Let the guest write to the host process's standard output.</summary>
    public bool InheritStandardOutput { get; init; }

    /// <summary>Let the guest write to the host process's standard error.</summary>
    public bool InheritStandardError { get; init; }

    /// <summary>Host directories the guest may open, each under a guest path.</summary>
    public IReadOnlyList<WasiDirectory> Directories { get; init; } = [];
}

/// <summary>A host directory opened to the guest.</summary>
/// <param name="HostPath">The directory on the host.</param>
/// <param name="GuestPath">Where the guest finds it.</param>
/// <param name="Writable">Whether the guest may change it (default: read only).</param>
public sealed record WasiDirectory(string HostPath, string GuestPath, bool Writable = false);
