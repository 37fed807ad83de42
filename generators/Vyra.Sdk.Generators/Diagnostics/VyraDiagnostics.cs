using Microsoft.CodeAnalysis;

namespace Vyra.Sdk.Generators.Diagnostics;

/// <summary>Every diagnostic the generator reports; one descriptor per failure mode (listed in AnalyzerReleases.Unshipped.md).</summary>
internal static class VyraDiagnostics
{
    private const string Manifest = "Vyra.Manifest";
    private const string Naming = "Vyra.Naming";
    private const string HostImports = "Vyra.HostImports";

    /// <summary>
    /// Where docs/generator.md is published (the repository's main branch); each id has an anchor there, so an IDE's
    /// link on a diagnostic opens its explanation. A constant: the generator must not depend on MSBuild state.
    /// </summary>
    internal const string HelpBase = "https://github.com/vyra-sdk/vyra-sdk/blob/main/docs/generator.md#";

    private static string Help(string id) => HelpBase + id.ToLowerInvariant();

    public static readonly DiagnosticDescriptor InvalidJson = new(
        "VYRA001", "metadata.json is not valid JSON", "{0}",
        Manifest, DiagnosticSeverity.Error, isEnabledByDefault: true,
        helpLinkUri: Help("VYRA001"));

    public static readonly DiagnosticDescriptor InvalidId = new(
        "VYRA002", "Missing or invalid plugin id", "{0}",
        Manifest, DiagnosticSeverity.Error, isEnabledByDefault: true,
        description: "A manifest needs an 'id' matching upstream's pattern ([a-z][a-z0-9-]*, or two or three dotted names); the proxy class is named after it.",
        helpLinkUri: Help("VYRA002"));

    public static readonly DiagnosticDescriptor DuplicateExport = new(
        "VYRA003", "Export declared twice", "{0}",
        Manifest, DiagnosticSeverity.Error, isEnabledByDefault: true,
        helpLinkUri: Help("VYRA003"));

    public static readonly DiagnosticDescriptor UnknownType = new(
        "VYRA004", "Unknown value type", "{0}",
        Manifest, DiagnosticSeverity.Error, isEnabledByDefault: true,
        helpLinkUri: Help("VYRA004"));

    public static readonly DiagnosticDescriptor BadName = new(
        "VYRA005", "Invalid name", "{0}",
        Manifest, DiagnosticSeverity.Error, isEnabledByDefault: true,
        helpLinkUri: Help("VYRA005"));

    public static readonly DiagnosticDescriptor NameCollision = new(
        "VYRA006", "Generated name collision", "{0} '{1}' maps to the C# name '{2}', already used by {3}; it gets no generated member",
        Naming, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        helpLinkUri: Help("VYRA006"));

    public static readonly DiagnosticDescriptor UnsupportedHostMethod = new(
        "VYRA007", "Unsupported host method signature", "Host method '{0}' cannot be bound as wasm import '{1}': {2}",
        HostImports, DiagnosticSeverity.Error, isEnabledByDefault: true,
        description: "Host import parameters may be int, long, float, double, bool, string, byte[] or JsonNode; results the same (or a tuple of them), optionally wrapped in Task or ValueTask.",
        helpLinkUri: Help("VYRA007"));

    public static readonly DiagnosticDescriptor HostClassNotPartial = new(
        "VYRA008", "Host class is not partial", "'{0}' has host import methods but is not partial (with every enclosing type), so no bindings can be generated for it",
        HostImports, DiagnosticSeverity.Error, isEnabledByDefault: true,
        helpLinkUri: Help("VYRA008"));

    public static readonly DiagnosticDescriptor LegacyExport = new(
        "VYRA009", "Legacy string export cannot be typed",
        "{0}; it gets no typed proxy method: declare it as {{ name, args, returns }} (it stays callable through Runtime.CallAsync)",
        Manifest, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        helpLinkUri: Help("VYRA009"));

    public static readonly DiagnosticDescriptor InvalidField = new(
        "VYRA010", "Invalid manifest field", "{0}",
        Manifest, DiagnosticSeverity.Error, isEnabledByDefault: true,
        helpLinkUri: Help("VYRA010"));

    public static readonly DiagnosticDescriptor DuplicatePluginClass = new(
        "VYRA011", "Two plugins map to one proxy class",
        "Plugin '{0}' maps to the proxy class '{1}', which is generated from {2}; set VyraClassName on one of the AdditionalFiles items, or exclude one manifest",
        Naming, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        helpLinkUri: Help("VYRA011"));

    public static readonly DiagnosticDescriptor GeneratorFailure = new(
        "VYRA012", "Unexpected generator failure", "The Vyra generator failed on {0}: {1}",
        "Vyra.Generator", DiagnosticSeverity.Error, isEnabledByDefault: true,
        helpLinkUri: Help("VYRA012"));

    public static readonly DiagnosticDescriptor InvalidYaml = new(
        "VYRA013", "manifest.yaml is not valid or uses unsupported YAML", "{0}",
        Manifest, DiagnosticSeverity.Error, isEnabledByDefault: true,
        description: "The generator reads the YAML subset VYRA manifests use: block and flow mappings and sequences, plain and quoted scalars, | and > block scalars, comments, one document. Anchors, aliases, tags, complex keys and multi-line plain or quoted scalars are not supported.",
        helpLinkUri: Help("VYRA013"));

    public static readonly DiagnosticDescriptor FrontendOnly = new(
        "VYRA014", "Frontend-only plugin gets no proxy",
        "Plugin '{0}' has no entry_points.backend in its manifest.yaml (a frontend-only plugin): nothing runs here, so no proxy is generated",
        Manifest, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        helpLinkUri: Help("VYRA014"));

    public static readonly DiagnosticDescriptor ManifestsDisagree = new(
        "VYRA015", "manifest.yaml and metadata.json disagree",
        "{0} and {1} in one plugin folder disagree: {2}; the runtime refuses to start such a plugin (the proxy follows manifest.yaml)",
        Manifest, DiagnosticSeverity.Error, isEnabledByDefault: true,
        helpLinkUri: Help("VYRA015"));

    public static readonly DiagnosticDescriptor LegacyScope = new(
        "VYRA016", "scope in the old string form", "{0}",
        Manifest, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Upstream's manifest schema makes scope an object { type: GLOBAL | TEMPLATE | MODULE | INSTANCE, target, owner_module? }; a string naming the type is still read.",
        helpLinkUri: Help("VYRA016"));

    public static readonly DiagnosticDescriptor HostClassNotMarked = new(
        "VYRA017", "Host import in a class without [VyraHost]",
        "'{0}' is marked [HostImport] but its class '{1}' has no [VyraHost] attribute, so no binding is generated for it; add [VyraHost] to the class",
        HostImports, DiagnosticSeverity.Error, isEnabledByDefault: true,
        description: "The generator finds host classes by the [VyraHost] attribute only. Methods named host_* in a class without it are not seen (and not reported); [HostImport] methods are reported.",
        helpLinkUri: Help("VYRA017"));

    public static readonly DiagnosticDescriptor HostAttributeWithoutBase = new(
        "VYRA018", "[VyraHost] on a class that is not host functions",
        "'{0}' is marked [VyraHost] but does not derive from Vyra.Sdk.BaseHostFunctions, so no bindings can be generated for it",
        HostImports, DiagnosticSeverity.Error, isEnabledByDefault: true,
        helpLinkUri: Help("VYRA018"));

    // ---- WIT (docs/components.md): ids from VYRA050, apart from the manifest and host-import ranges ----

    private const string Wit = "Vyra.Wit";

    public static readonly DiagnosticDescriptor WitSyntax = new(
        "VYRA050", "Invalid WIT", "{0}",
        Wit, DiagnosticSeverity.Error, isEnabledByDefault: true,
        description: "A .wit file given as AdditionalFiles is not valid WIT (or uses WIT syntax outside what the generator reads).",
        helpLinkUri: Help("VYRA050"));

    public static readonly DiagnosticDescriptor WitUnresolved = new(
        "VYRA051", "WIT name not defined", "{0}",
        Wit, DiagnosticSeverity.Error, isEnabledByDefault: true,
        description: "A type, interface or world named in WIT is defined nowhere in the package (the .wit files of one folder).",
        helpLinkUri: Help("VYRA051"));

    public static readonly DiagnosticDescriptor WitDuplicate = new(
        "VYRA052", "WIT name defined twice", "{0}",
        Wit, DiagnosticSeverity.Error, isEnabledByDefault: true,
        helpLinkUri: Help("VYRA052"));

    public static readonly DiagnosticDescriptor WitUnsupported = new(
        "VYRA053", "WIT feature not yet supported", "{0}",
        Wit, DiagnosticSeverity.Error, isEnabledByDefault: true,
        description: "Resources, include, interfaces of other packages, named results, futures, streams, async functions and nested options are not supported yet; no bindings are generated for the package.",
        helpLinkUri: Help("VYRA053"));

    public static readonly DiagnosticDescriptor WitTooLarge = new(
        "VYRA054", "WIT past a bound", "{0}",
        Wit, DiagnosticSeverity.Error, isEnabledByDefault: true,
        helpLinkUri: Help("VYRA054"));
}
