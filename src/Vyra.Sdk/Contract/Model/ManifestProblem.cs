namespace Vyra.Sdk.Contract;

/// <summary>What kind of problem a <see cref="ManifestProblem"/> is; the generator maps each to its diagnostic.</summary>
internal enum ManifestProblemCode
{
    /// <summary>The text is not valid JSON (metadata.json).</summary>
    InvalidJson,
    /// <summary>The text is not valid YAML, or YAML outside the subset manifests use (manifest.yaml).</summary>
    InvalidYaml,
    /// <summary><c>id</c> is missing or does not match upstream's pattern.</summary>
    InvalidId,
    /// <summary>A field has the wrong shape or value.</summary>
    InvalidField,
    /// <summary>A value type that is not one of the ABI's.</summary>
    UnknownType,
    /// <summary>An export, argument or import name that is not an identifier.</summary>
    BadName,
    /// <summary>An export declared twice.</summary>
    DuplicateExport,
    /// <summary>Warning: an export given by name only (VYRA's legacy form): its signature comes from the module.</summary>
    LegacyExport,
    /// <summary>Warning: <c>scope</c> as a string (the old form) instead of upstream's object.</summary>
    LegacyScope,
}

/// <summary>
/// One problem found in a manifest: the same code, message, place and field for the kernel (which throws the first
/// error as a <c>PluginLoadException</c>) and the generator (which reports each as a diagnostic).
/// </summary>
internal sealed record ManifestProblem(ManifestProblemCode Code, string Message, SourceSpan Span, string Field)
{
    /// <summary>Warnings are reported but never refuse a manifest.</summary>
    public bool IsWarning => Code is ManifestProblemCode.LegacyExport or ManifestProblemCode.LegacyScope;
}
