namespace Vyra.Sdk;

/// <summary>One plugin version found in a pool folder <c>&lt;pool&gt;/&lt;id&gt;/&lt;version&gt;/</c>, with what is wrong with it.</summary>
/// <param name="Id">The plugin id (the folder name; the manifest must agree).</param>
/// <param name="Version">The version folder's name.</param>
/// <param name="Directory">The version folder.</param>
/// <param name="ModulePath">The module (<c>logic.wasm</c> or <c>logic.wat</c>), or null when there is none (a frontend-only plugin, or one in service-export mode).</param>
/// <param name="Manifest">The manifest, when it could be read.</param>
/// <param name="Problems">Every problem found; empty for a valid plugin.</param>
public sealed record CatalogEntry(string Id, string Version, string Directory, string? ModulePath, PluginManifest? Manifest, IReadOnlyList<string> Problems)
{
    /// <summary>True when nothing is wrong: it can be started.</summary>
    public bool IsValid => Problems.Count == 0;

    /// <summary>
    /// True for an upstream frontend-only plugin (no <c>entry_points.backend</c>, no module): valid in its pool, but
    /// nothing of it runs here, so it is never picked to create a runtime.
    /// </summary>
    public bool IsFrontendOnly => Manifest is { HasBackend: false };

    /// <summary>True when a runtime can be created from it: valid and with a backend.</summary>
    public bool CanRun => IsValid && !IsFrontendOnly;

    /// <summary>The version as semver, or null when the folder name is not one.</summary>
    public SemanticVersion? SemanticVersion => Sdk.SemanticVersion.TryParse(Version);
}
