using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Signing;

/// <summary>
/// A signed plugin runs with the manifest its signature covers: the bytes that were verified, not a second read of the
/// folder, nor a manifest remembered from an earlier read whose file happened to have the same length and time stamp
/// (anyone who can write the folder can set both). Real files, real keys, real Wasmtime.
/// </summary>
public class VerifiedManifestTests
{
    // The same length as SigningKeys.Manifest: only the version differs, and a forged time stamp makes the files look alike.
    private const string Forged = """{"id":"signed","version":"6.6.6","exports":[{"name":"v","args":[]}]}""";

    [Fact]
    public async Task A_start_under_Require_uses_the_verified_manifest_not_one_cached_for_the_same_length_and_time()
    {
        Assert.Equal(SigningKeys.Manifest.Length, Forged.Length);
        using var plugin = SigningKeys.Plugin();
        var manifestPath = plugin.ManifestPath;
        var stamp = File.GetLastWriteTimeUtc(manifestPath);

        // An attacker writes their manifest with the signed one's time stamp; something reads the folder (a scan, a CLI).
        File.WriteAllText(manifestPath, Forged);
        File.SetLastWriteTimeUtc(manifestPath, stamp);
        Assert.Equal("6.6.6", ManifestReader.ReadFolder(plugin.Directory)!.Version);
        // Then puts the signed bytes back, time stamp and all: the signature verifies.
        File.WriteAllText(manifestPath, SigningKeys.Manifest);
        File.SetLastWriteTimeUtc(manifestPath, stamp);

        await using var runtime = new WasmRuntime("signed", plugin.ModulePath, options: new PluginRuntimeOptions { Signatures = SigningKeys.Policy(SignatureMode.Require) });
        await runtime.StartAsync();

        Assert.Equal("1.0.0", runtime.Manifest!.Version);
    }
}
