using Vyra.Sdk;

namespace Vyra.Cli.Infrastructure;

/// <summary>The folder <c>vyra sign</c> and <c>verify</c> work on, and the JSON report they share (docs/cli.md).</summary>
internal static class SignedFolder
{
    /// <summary>A plugin version folder (an id folder means its highest version), whose module is logic.wasm or logic.wat.</summary>
    public static string Resolve(string arg)
    {
        var location = PluginLocation.Resolve(arg);
        var name = Path.GetFileName(location.ModulePath);
        // A signature covers the folder's own module: signing other.wasm would sign a file no pool loads.
        if (!ModuleFile.FolderNames.Contains(name))
            throw new UsageException($"'{arg}' is the module {name}: give the plugin folder (its module is logic.wasm or logic.wat)");
        return location.Directory;
    }

    public static Dictionary<string, object?> Report(string folder, PluginSignatureInfo? info, bool? valid, string? problem)
    {
        var report = new Dictionary<string, object?>();
        if (valid is not null) report["valid"] = valid;
        report["directory"] = folder;
        report["signature"] = info?.SignaturePath ?? Path.Combine(folder, PluginSignatures.FileName);
        report["key_id"] = info?.KeyId;
        report["files"] = info?.Files;
        report["digest"] = info?.Digest;
        if (valid is not null) report["problem"] = problem;
        return report;
    }
}
