using System.Text.Json;

namespace Vyra.Sdk;

/// <summary>
/// A plugin's manifest (<c>manifest.yaml</c> or <c>metadata.json</c>) as the contract reads it (docs/manifest.md): the
/// VYRA fields anything here acts on, and our extensions. Fields nothing here interprets (UI slots, docs, runtime
/// image ...) stay in <see cref="Extra"/> as they were written.
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
    public PluginScope? Scope { get; init; }

    /// <summary><c>permissions</c>, with <c>interfaces</c> in VYRA's facade shape; null when the manifest has none.</summary>
    public PluginPermissions? Permissions { get; init; }

    /// <summary><c>entry_points.backend.service_exports</c>: callable names served by host services; null when absent.</summary>
    public IReadOnlyList<ServiceExportDeclaration>? ServiceExports { get; init; }

    /// <summary>
    /// <c>checksum</c> when set (<c>sha256:&lt;hex&gt;</c> of the module file, lower case); upstream's <c>""</c> means
    /// unset and reads as null.
    /// </summary>
    public string? Checksum { get; init; }

    /// <summary>Upstream's <c>hash</c>: a lookup id such as <c>counter-widget-1.0.0</c>, not a digest.</summary>
    public string? Hash { get; init; }

    /// <summary>Upstream's <c>category</c>.</summary>
    public string? Category { get; init; }

    /// <summary>Upstream's <c>tags</c>.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Upstream's <c>priority</c>, 0–100 (default 50).</summary>
    public int Priority { get; init; } = 50;

    /// <summary>Upstream's <c>status</c>: development, beta, stable or deprecated.</summary>
    public string? Status { get; init; }

    /// <summary>Things worth telling that do not refuse the manifest (the old string <c>scope</c>, name-only exports).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Upstream's <c>load_strategy</c>: start with the application (eager, default) or on first use (lazy).</summary>
    public PluginLoadStrategy LoadStrategy { get; init; }

    /// <summary>False for an upstream frontend-only plugin: its manifest has no <c>entry_points.backend</c>, so nothing runs here.</summary>
    public bool HasBackend { get; init; } = true;

    /// <summary>
    /// Every top-level field other than the identity, <c>exports</c>, <c>imports</c>, <c>initial_state</c>, <c>events</c>
    /// and <c>entry_points</c>, as written (so a converter can keep them): <c>scope</c>, <c>permissions</c>, UI data ...
    /// </summary>
    public IReadOnlyDictionary<string, JsonElement> Extra { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary><c>entry_points</c> as written (backend and frontend), for tools that rewrite a manifest; null when absent.</summary>
    public JsonElement? EntryPoints { get; init; }

    /// <summary>The file the manifest was read from, when it came from a file.</summary>
    public string? SourcePath { get; init; }

    /// <summary>The <c>component</c> block (docs/components.md): the module is a WebAssembly component; null for a core module.</summary>
    public ComponentDeclaration? Component { get; init; }

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

/// <summary>Upstream's <c>scope</c>: where a plugin applies.</summary>
/// <param name="Type">GLOBAL, TEMPLATE, MODULE or INSTANCE (upper case, whatever case the file used).</param>
/// <param name="Target">The module, template or instance it applies to; null only for the old string form.</param>
/// <param name="OwnerModule">The owning module, when given.</param>
public sealed record PluginScope(string Type, string? Target, string? OwnerModule = null);

/// <summary>A plugin's <c>permissions</c>.</summary>
/// <param name="Interfaces">What the plugin may publish, subscribe to, serve and call (docs/manifest.md maps the string form).</param>
/// <param name="Network">Upstream's <c>network</c> flag.</param>
/// <param name="Storage"><c>none</c>, <c>read-only</c> or <c>read-write</c>.</param>
/// <param name="ZenohScopes">Upstream's <c>zenoh_scopes</c> globs.</param>
public sealed record PluginPermissions(IReadOnlyList<InterfacePermission> Interfaces, bool Network = false, string Storage = "none", IReadOnlyList<string>? ZenohScopes = null);

/// <summary>One entry of <c>permissions.interfaces</c> in VYRA's facade shape.</summary>
/// <param name="Transport"><c>publish</c>, <c>subscribe</c>, <c>server</c> or <c>client</c>; null for every transport.</param>
/// <param name="ModuleName">The module whose interfaces the entry covers.</param>
/// <param name="ModuleId">One instance of it, or null for any.</param>
public sealed record InterfacePermission(string? Transport, string ModuleName, string? ModuleId = null);

/// <summary>
/// A callable name served by a host service instead of wasm (upstream's <c>service_exports</c>).
/// <paramref name="Passthrough"/> null means every argument key (<c>"*"</c>).
/// </summary>
public sealed record ServiceExportDeclaration(string Name, string Service, string Method, IReadOnlyList<string>? Passthrough, JsonElement? Kwargs);

/// <summary>
/// A manifest's <c>component</c> block: the module is a component implementing the WIT world <paramref name="World"/>;
/// its <c>.wit</c> files are at <paramref name="Wit"/>, a folder or file relative to the plugin folder (docs/components.md).
/// </summary>
public sealed record ComponentDeclaration(string World, string Wit);
