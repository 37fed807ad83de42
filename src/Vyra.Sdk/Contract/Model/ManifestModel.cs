using System.Collections.Generic;

namespace Vyra.Sdk.Contract;

/// <summary>Which of VYRA's two manifest files a text came from (decided by file name).</summary>
internal enum ManifestFormat
{
    /// <summary><c>metadata.json</c>: VYRA's older format, still read upstream; our extensions live here.</summary>
    MetadataJson,

    /// <summary><c>manifest.yaml</c>: upstream's current format (JSON Schema draft-07, docs/manifest.md).</summary>
    ManifestYaml,
}

/// <summary>
/// A manifest as the contract reads it: every field upstream defines that anything here acts on, each with the node it
/// came from so the kernel and the generator can point at it. Built only by <see cref="ManifestSchema"/>; the kernel
/// maps it onto its public <c>PluginManifest</c>, the generator onto its equatable <c>PluginSpec</c>.
/// </summary>
internal sealed class ManifestModel
{
    public ManifestModel(ManifestFormat format, ManifestNode root, string id, ManifestNode idNode)
    {
        Format = format;
        Root = root;
        Id = id;
        IdNode = idNode;
    }

    public ManifestFormat Format { get; }

    /// <summary>The whole document: fields the contract does not model are read from here (the kernel's <c>Extra</c>).</summary>
    public ManifestNode Root { get; }

    public string Id { get; }

    public ManifestNode IdNode { get; }

    public string? Version { get; set; }

    public string? Name { get; set; }

    public string? Description { get; set; }

    public ScopeModel? Scope { get; set; }

    /// <summary>Declared exports; null when the manifest declares none (then only <c>ping</c> answers, VYRA's rule).</summary>
    public List<ExportModel>? Exports { get; set; }

    /// <summary>Where the exports were found: <c>$.exports</c> (metadata.json) or <c>$.entry_points.backend.exports</c>.</summary>
    public string ExportsField { get; set; } = "$.exports";

    /// <summary>Declared host imports (our extension); null when none are listed.</summary>
    public List<ImportModel>? Imports { get; set; }

    /// <summary>Typed <c>initial_state</c> (our extension); null when absent.</summary>
    public List<StateModel>? InitialState { get; set; }

    /// <summary>Event globs delivered to <c>on_event</c> (our extension); null means every event.</summary>
    public List<string>? Events { get; set; }

    public LimitsModel Limits { get; set; } = new(null, null, null, null);

    public PermissionsModel? Permissions { get; set; }

    /// <summary><c>entry_points.backend.service_exports</c>; null when absent.</summary>
    public List<ServiceExportModel>? ServiceExports { get; set; }

    /// <summary><c>load_strategy</c>: <c>eager</c> (default) or <c>lazy</c>.</summary>
    public bool LoadLazily { get; set; }

    /// <summary>False for a frontend-only plugin: nothing runs here.</summary>
    public bool HasBackend { get; set; } = true;

    /// <summary>The <c>checksum</c> when set; upstream's <c>""</c> (unset) reads as null.</summary>
    public string? Checksum { get; set; }

    /// <summary>Upstream's <c>hash</c>: a lookup id such as <c>counter-widget-1.0.0</c>, not a digest.</summary>
    public string? Hash { get; set; }

    public string? Category { get; set; }

    public List<string>? Tags { get; set; }

    /// <summary>0–100, upstream's default 50 when absent.</summary>
    public int Priority { get; set; } = 50;

    public string? Status { get; set; }

    public List<DependencyModel>? Dependencies { get; set; }

    /// <summary>metadata.json's legacy <c>entry_points.backend.exported_functions</c>: names only, not the callable set.</summary>
    public List<string>? ExportedFunctions { get; set; }

    /// <summary>The <c>component</c> block (our extension, docs/components.md): the module is a component; null when absent.</summary>
    public ComponentModel? Component { get; set; }
}

/// <summary>
/// <c>component: { world, wit? }</c>: the module is a WebAssembly component of the WIT world <paramref name="World"/>,
/// whose <c>.wit</c> files are in <paramref name="Wit"/> (a folder or one file, relative to the plugin folder; default <c>wit</c>).
/// </summary>
internal sealed record ComponentModel(string World, ManifestNode WorldNode, string Wit, ManifestNode? WitNode);

/// <summary>Upstream's <c>scope</c>: <c>{ type, target, owner_module? }</c>; <see cref="IsLegacyString"/> for the old string form.</summary>
internal sealed record ScopeModel(string Type, string? Target, string? OwnerModule, bool IsLegacyString);

/// <summary>An export: <see cref="Args"/> is null for the legacy string form (the module's signature is used).</summary>
internal sealed record ExportModel(string Name, ManifestNode NameNode, List<ArgModel>? Args, List<PluginValueType>? Returns, string? Description);

internal sealed record ArgModel(string Name, ManifestNode NameNode, PluginValueType Type);

/// <summary>A host import the plugin may call: a bare name (<see cref="Args"/> and <see cref="Returns"/> null) or the object form, which declares its signature.</summary>
internal sealed record ImportModel(string Name, ManifestNode NameNode, List<ArgModel>? Args, List<PluginValueType>? Returns);

/// <summary>One <c>initial_state</c> key: declared type (or null) and the default's node (or null).</summary>
internal sealed record StateModel(string Key, SourceSpan KeySpan, PluginValueType? Type, ManifestNode? Default);

/// <summary><c>entry_points.backend.runtime_limits</c>; a manifest may only tighten the host's ceilings with these.</summary>
internal sealed record LimitsModel(long? MemoryMb, long? TimeoutMs, long? Fuel, double? CpuShares);

/// <summary><c>permissions</c> with <c>interfaces</c> normalised to VYRA's facade shape (docs/manifest.md).</summary>
internal sealed record PermissionsModel(List<InterfaceGrantModel> Interfaces, bool Network, string Storage, List<string> ZenohScopes);

/// <summary>
/// One entry of <c>permissions.interfaces</c>: <paramref name="Transport"/> is publish, subscribe, server or client, or
/// null for every transport (a bare string entry); <paramref name="ModuleId"/> null means any instance.
/// </summary>
internal sealed record InterfaceGrantModel(string? Transport, string ModuleName, string? ModuleId);

/// <summary>
/// <c>service_exports[]</c>: a callable name served by a host service. <paramref name="Passthrough"/> null means every
/// key (<c>"*"</c>); <paramref name="Kwargs"/> is the fixed keyword arguments object, when given.
/// </summary>
internal sealed record ServiceExportModel(string Name, string Service, string Method, List<string>? Passthrough, ManifestNode? Kwargs);

/// <summary><c>dependencies.modules[]</c>.</summary>
internal sealed record DependencyModel(string Id, string? MinVersion);
