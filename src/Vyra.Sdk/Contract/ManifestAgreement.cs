using System.Collections.Generic;

namespace Vyra.Sdk.Contract;

/// <summary>
/// An export's signature as text, for comparing two manifests: argument and return types as comma-separated manifest
/// names (<c>"i32,string"</c>); null where the manifest leaves them to the module. Plain strings, so the generator can
/// keep it in its equatable pipeline.
/// </summary>
internal sealed record ExportSignature(string Name, string? Args, string? Returns)
{
    public static ExportSignature Of(ExportModel export) => new(
        export.Name,
        export.Args is null ? null : string.Join(",", export.Args.ConvertAll(a => a.Type.ToManifestName())),
        export.Returns is null ? null : string.Join(",", export.Returns.ConvertAll(t => t.ToManifestName())));
}

/// <summary>Where two manifests first differ: the message and the export (in the YAML file or the JSON file) it names.</summary>
internal sealed record ManifestDisagreement(string Message, bool InYaml, int Index);

/// <summary>
/// When a plugin folder holds both <c>manifest.yaml</c> and <c>metadata.json</c> (as upstream's pool sometimes does),
/// the YAML is read and the two must declare the same exports; this says where they differ, in one message the kernel
/// and the generator share.
/// </summary>
internal static class ManifestAgreement
{
    /// <summary>Null when the exports agree; else what differs first, naming the export.</summary>
    public static ManifestDisagreement? Disagreement(IReadOnlyList<ExportSignature> yaml, IReadOnlyList<ExportSignature> json)
    {
        for (var i = 0; i < yaml.Count; i++)
        {
            var export = yaml[i];
            var other = Find(json, export.Name);
            if (other is null) return new ManifestDisagreement($"export '{export.Name}' is only in {ManifestContract.YamlFileName}", true, i);
            if (export.Args is not null && other.Args is not null && export.Args != other.Args)
                return new ManifestDisagreement($"export '{export.Name}' has different argument types ({Types(export.Args)} against {Types(other.Args)})", true, i);
            if (export.Returns is not null && other.Returns is not null && export.Returns != other.Returns)
                return new ManifestDisagreement($"export '{export.Name}' has different return types ({Types(export.Returns)} against {Types(other.Returns)})", true, i);
        }
        for (var i = 0; i < json.Count; i++)
        {
            if (Find(yaml, json[i].Name) is null) return new ManifestDisagreement($"export '{json[i].Name}' is only in {ManifestContract.JsonFileName}", false, i);
        }
        return null;
    }

    /// <summary>Null when both files name the same plugin (id, and version where both set one); else what differs.</summary>
    public static string? IdentityDisagreement(string yamlId, string? yamlVersion, string jsonId, string? jsonVersion)
    {
        if (yamlId != jsonId) return $"the id is '{yamlId}' in {ManifestContract.YamlFileName} but '{jsonId}' in {ManifestContract.JsonFileName}";
        if (yamlVersion is not null && jsonVersion is not null && yamlVersion != jsonVersion)
            return $"the version is {yamlVersion} in {ManifestContract.YamlFileName} but {jsonVersion} in {ManifestContract.JsonFileName}";
        return null;
    }

    /// <summary>The signatures of a model's exports (none when it declares none).</summary>
    public static List<ExportSignature> Signatures(ManifestModel model) =>
        model.Exports is null ? new List<ExportSignature>() : model.Exports.ConvertAll(ExportSignature.Of);

    private static ExportSignature? Find(IReadOnlyList<ExportSignature> exports, string name)
    {
        foreach (var export in exports)
        {
            if (export.Name == name) return export;
        }
        return null;
    }

    private static string Types(string list) => list.Length == 0 ? "none" : list;
}
