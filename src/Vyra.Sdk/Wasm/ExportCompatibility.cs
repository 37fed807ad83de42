namespace Vyra.Sdk;

/// <summary>
/// Would replacing one version of a plugin by another break its callers? Compared on the callable exports (those the
/// manifests declare, or the module's own under <see cref="PluginRuntimeOptions.AllowUndeclaredExports"/>): an export
/// that disappears, or whose argument names, argument types or results change, breaks a caller. An argument renamed
/// breaks callers by name silently (a missing key is 0), so it counts. New exports break nobody.
/// </summary>
internal static class ExportCompatibility
{
    /// <summary>Every breaking change, one line each naming the export; empty when the swap is safe for callers.</summary>
    public static IReadOnlyList<string> BreakingChanges(ModuleContract from, ModuleContract to)
    {
        var changes = new List<string>();
        foreach (var (name, old) in from.Exports.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!to.Exports.TryGetValue(name, out var fresh))
            {
                changes.Add($"export '{name}' {Signature(old)} is removed");
            }
            else if (Signature(old) != Signature(fresh))
            {
                changes.Add($"export '{name}' changes its signature from {Signature(old)} to {Signature(fresh)}");
            }
        }
        return changes;
    }

    /// <summary>Whether a call prepared for <paramref name="a"/> can run as <paramref name="b"/> unchanged.</summary>
    public static bool SameSignature(ExportSpec a, ExportSpec b) => ReferenceEquals(a, b) || Signature(a) == Signature(b);

    /// <summary>The signature in manifest terms: <c>(a: i32, b: string) -&gt; i64</c>.</summary>
    public static string Signature(ExportSpec export)
    {
        var args = "(" + string.Join(", ", export.Args.Select(a => $"{a.Name}: {a.Type.ToManifestName()}")) + ")";
        return export.Returns.Count switch
        {
            0 => args,
            1 => args + " -> " + export.Returns[0].ToManifestName(),
            _ => args + " -> (" + string.Join(", ", export.Returns.Select(r => r.ToManifestName())) + ")",
        };
    }
}
