namespace Vyra.Sdk.Generators;

/// <summary>Names of the pipeline steps, for caching tests (<c>WithTrackingName</c>).</summary>
public static class TrackingNames
{
    /// <summary>The <c>metadata.json</c> and <c>manifest.yaml</c> additional files.</summary>
    public const string ManifestFiles = nameof(ManifestFiles);

    /// <summary>Folders holding a <c>manifest.yaml</c> (their <c>metadata.json</c> gets no proxy).</summary>
    public const string YamlFolders = nameof(YamlFolders);

    /// <summary>Export disagreements between a folder's <c>manifest.yaml</c> and <c>metadata.json</c>.</summary>
    public const string ManifestAgreement = nameof(ManifestAgreement);

    /// <summary>Each manifest parsed, with its diagnostics (changes when any text moves).</summary>
    public const string ParsedManifests = nameof(ParsedManifests);

    /// <summary>Each manifest's spec alone (no locations: whitespace and key order do not change it).</summary>
    public const string PluginSpecs = nameof(PluginSpecs);

    /// <summary>Proxy classes claimed by more than one plugin.</summary>
    public const string ClassWinners = nameof(ClassWinners);

    /// <summary>MSBuild options shared by every manifest.</summary>
    public const string Options = nameof(Options);

    /// <summary>Each plugin's generated source.</summary>
    public const string ProxySources = nameof(ProxySources);

    /// <summary>Each manifest's diagnostics, cross-plugin ones included.</summary>
    public const string ManifestDiagnostics = nameof(ManifestDiagnostics);

    /// <summary><c>[VyraHost]</c> classes with host import methods.</summary>
    public const string HostClasses = nameof(HostClasses);

    /// <summary><c>[HostImport]</c> methods in a <c>BaseHostFunctions</c> subclass without <c>[VyraHost]</c>.</summary>
    public const string UnmarkedImports = nameof(UnmarkedImports);

    /// <summary>Each host class's generated bindings.</summary>
    public const string HostSources = nameof(HostSources);
    public const string WitFiles = nameof(WitFiles);
    public const string WitFolders = nameof(WitFolders);
    public const string WitOutputs = nameof(WitOutputs);
}
