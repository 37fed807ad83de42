using System.Text.Json;

namespace Vyra.Sdk;

/// <summary>
/// The parsed <c>metadata.json</c> of a plugin: the VYRA fields and our extensions (DESIGN §2).
/// Fields the runtime does not use (UI slots, hashes, help texts ...) stay in <see cref="Extra"/>.
/// </summary>
public sealed record PluginManifest
{
    /// <summary>The plugin id, <c>[a-z][a-z0-9-]*</c> with dotted forms allowed.</summary>
    public required string Id { get; init; }

    /// <summary>The plugin version (semver), or null when the manifest has none.</summary>
    public string? Version { get; init; }

    /// <summary>Display name.</summary>
    public string? Name { get; init; }

    /// <summary>Description.</summary>
    public string? Description { get; init; }

    /// <summary>
    /// The declared exports, or null when the manifest has no <c>exports</c> list
    /// (then every function the module exports is callable, with its wasm signature).
    /// </summary>
    public IReadOnlyList<ExportDeclaration>? Exports { get; init; }

    /// <summary>The declared host imports, or null when the manifest lists none (then any host function may be imported).</summary>
    public IReadOnlyList<ImportDeclaration>? Imports { get; init; }

    /// <summary>Typed defaults for the state passed to <c>init</c>, in manifest order.</summary>
    public IReadOnlyList<StateEntry> InitialState { get; init; } = [];

    /// <summary>Event name globs delivered to <c>on_event</c>; null means every event.</summary>
    public IReadOnlyList<string>? Events { get; init; }

    /// <summary><c>entry_points.backend.runtime_limits</c>.</summary>
    public RuntimeLimits Limits { get; init; } = new();

    /// <summary>Upstream's <c>scope</c> (required in manifest.yaml), when given.</summary>
    public string? Scope { get; init; }

    /// <summary>Upstream's <c>load_strategy</c>: start with the application (eager, default) or on first use (lazy).</summary>
    public PluginLoadStrategy LoadStrategy { get; init; }

    /// <summary>False for an upstream frontend-only plugin: its manifest has no <c>entry_points.backend</c>, so nothing runs here.</summary>
    public bool HasBackend { get; init; } = true;

    /// <summary>Fields the runtime keeps but does not interpret.</summary>
    public IReadOnlyDictionary<string, JsonElement> Extra { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>The file the manifest was read from, when it came from a file.</summary>
    public string? SourcePath { get; init; }

    /// <summary>Finds a declared export by name.</summary>
    public ExportDeclaration? FindExport(string name)
    {
        if (Exports is null) return null;
        foreach (var export in Exports)
        {
            if (export.Name == name) return export;
        }
        return null;
    }
}

/// <summary>An export the manifest declares.</summary>
/// <param name="Name">The wasm export name.</param>
/// <param name="Args">Arguments in call order; null for the legacy string form (the module's signature is used).</param>
/// <param name="Returns">Result types; empty for void; null when not declared (taken from the module).</param>
/// <param name="Description">Help text from the manifest.</param>
public sealed record ExportDeclaration(string Name, IReadOnlyList<ArgDeclaration>? Args, IReadOnlyList<PluginValueType>? Returns, string? Description = null)
{
    /// <summary>True when the manifest gave only the name (VYRA's legacy string form).</summary>
    public bool IsLegacy => Args is null;
}

/// <summary>One argument of an export or import.</summary>
public sealed record ArgDeclaration(string Name, PluginValueType Type);

/// <summary>A host function the plugin may import.</summary>
/// <param name="Name">The import name, e.g. <c>host_log</c>.</param>
/// <param name="Args">Declared arguments, or null for the bare-name form.</param>
/// <param name="Returns">Declared results, or null when not declared.</param>
public sealed record ImportDeclaration(string Name, IReadOnlyList<ArgDeclaration>? Args = null, IReadOnlyList<PluginValueType>? Returns = null);

/// <summary>One key of <c>initial_state</c> with its declared type and default.</summary>
public sealed record StateEntry(string Key, PluginValueType? Type, JsonElement? Default);

/// <summary>Resource limits from <c>entry_points.backend.runtime_limits</c>.</summary>
/// <param name="MemoryMb">Memory cap in MiB (VYRA's <c>memory_mb</c>).</param>
/// <param name="TimeoutMs">Wall-clock limit per call in milliseconds (ext).</param>
/// <param name="Fuel">Fuel budget per call (ext).</param>
/// <param name="CpuShares">
/// Upstream's share of a CPU (0..1]. Read and validated but not enforced: an in-process wasm call runs on the caller's
/// thread and cannot be throttled to a share of a core; the enforceable budgets are <c>timeout_ms</c> and <c>fuel</c>.
/// </param>
public sealed record RuntimeLimits(long? MemoryMb = null, long? TimeoutMs = null, ulong? Fuel = null, double? CpuShares = null);

/// <summary>When an application starts a plugin (upstream's <c>load_strategy</c>).</summary>
public enum PluginLoadStrategy
{
    /// <summary>With the application.</summary>
    Eager,
    /// <summary>On first use.</summary>
    Lazy,
}
