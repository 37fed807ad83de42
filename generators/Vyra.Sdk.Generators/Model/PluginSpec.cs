namespace Vyra.Sdk.Generators.Model;

/// <summary>
/// Everything the emitter needs about one plugin, as plain equatable values. It holds no spans, so an edit that only
/// moves text around (whitespace, key order) leaves it equal and the emitted source cached.
/// </summary>
internal sealed record PluginSpec(
    string FilePath,
    string Id,
    string? Version,
    string? DisplayName,
    string? Description,
    string BaseName,
    string ClassName,
    EquatableArray<ExportSpec> Exports,
    EquatableArray<StateFieldSpec> State,
    EquatableArray<ImportSpec> Imports)
{
    public string InterfaceName => "I" + ClassName;

    public string StateName => BaseName + "State";

    public string HostInterfaceName => "I" + BaseName + "Host";
}

/// <summary>One export turned into a method pair <c>Name</c> / <c>NameAsync</c>.</summary>
/// <param name="WasmName">The export's name in the module and the manifest.</param>
/// <param name="MethodName">The C# method name (PascalCase, never a reserved member name).</param>
/// <param name="ReturnsDeclared">False when the manifest gave no <c>returns</c> (the generator then assumes i32).</param>
internal sealed record ExportSpec(
    string WasmName,
    string MethodName,
    string? Description,
    EquatableArray<ParameterSpec> Parameters,
    EquatableArray<AbiType> Returns,
    bool ReturnsDeclared,
    string CancellationTokenName);

/// <summary>One argument: its manifest name (the dictionary key) and its C# parameter name (escaped when needed).</summary>
internal sealed record ParameterSpec(string JsonName, string Name, PluginValueType Type);

/// <summary>One key of <c>initial_state</c>: a property of the state record with its default value (rendered by the emitter).</summary>
internal sealed record StateFieldSpec(string Key, string PropertyName, PluginValueType Type, StateDefault Default);

/// <summary>A host import the manifest declares with a signature: a method of the host interface.</summary>
internal sealed record ImportSpec(string Name, EquatableArray<ParameterSpec> Parameters, EquatableArray<AbiType> Returns);

/// <summary>
/// The result of parsing one manifest: the spec (null when unusable), its problems with locations, and the shape of
/// each export (for the check that a folder's manifest.yaml and metadata.json agree).
/// </summary>
internal sealed record ManifestParseResult(string FilePath, PluginSpec? Spec, LocationInfo? IdLocation, EquatableArray<DiagnosticInfo> Diagnostics, EquatableArray<ExportShape> Shapes);

/// <summary>One declared export as the kernel compares two manifests: argument and return types (null: not declared).</summary>
internal sealed record ExportShape(string Name, string? Args, string? Returns, LocationInfo Location);

/// <summary>The export shapes of one manifest file, for the cross-file agreement check.</summary>
/// <param name="Readable">False when the manifest gave no spec (its own diagnostics say why); then it is not compared.</param>
internal sealed record ManifestShapes(string FilePath, bool IsYaml, bool Readable, EquatableArray<ExportShape> Exports, string? Id = null, string? Version = null, LocationInfo? IdLocation = null);

/// <summary>The facts the cross-plugin class-name check needs about one plugin.</summary>
internal sealed record ClassClaim(string ClassName, string FilePath, string? Version);

/// <summary>For each proxy class claimed by more than one plugin, the plugin that gets it.</summary>
internal sealed record ClassWinners(EquatableArray<ClassClaim> Contested)
{
    public static readonly ClassWinners None = new(EquatableArray<ClassClaim>.Empty);

    /// <summary>The winning claim for <paramref name="className"/> when it is contested, else null.</summary>
    public ClassClaim? WinnerFor(string className)
    {
        foreach (var claim in Contested)
        {
            if (claim.ClassName == className) return claim;
        }
        return null;
    }
}

/// <summary>Options from MSBuild that apply to every manifest.</summary>
/// <param name="ProjectDir">The project's folder (MSBuild <c>ProjectDir</c>), when known: manifests under it get a path-less Create.</param>
internal sealed record GeneratorOptions(string Namespace, string? ProjectDir = null);

/// <summary>A generated file.</summary>
internal sealed record GeneratedFile(string HintName, string Text);
