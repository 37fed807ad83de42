using System.Security.Cryptography;

namespace Vyra.Sdk;

/// <summary>
/// A manifest's <c>checksum</c> against its module. Upstream's schema says "SHA-256 of the packaged plugin archive, set
/// by build" and every real plugin leaves it <c>""</c> (unset). There is no archive here, so a set checksum covers the
/// module file itself, <c>sha256:&lt;hex&gt;</c> of <c>logic.wasm</c> (docs/manifest.md). It is checked by the catalog
/// and again whenever a runtime starts, so a module swapped after discovery is refused too.
/// </summary>
internal static class ModuleChecksum
{
    /// <summary>Null when the manifest sets no checksum or it matches; else the problem, naming both digests.</summary>
    public static string? Mismatch(PluginManifest? manifest, string modulePath)
    {
        if (manifest?.Checksum is not { } expected) return null;
        var actual = "sha256:" + Convert.ToHexString(Hash(modulePath).Sha256).ToLowerInvariant();
        return string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase)
            ? null
            : $"checksum mismatch: the manifest says {expected}, the module {Path.GetFileName(modulePath)} is {actual}";
    }

    /// <summary>The digest a set checksum names (<c>sha256:&lt;hex&gt;</c>; the contract checked its shape), or null.</summary>
    internal static byte[]? Digest(string checksum)
    {
        var hex = checksum.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase) ? checksum[7..] : checksum;
        try
        {
            return hex.Length == 64 ? Convert.FromHexString(hex) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The module's SHA-256 and length, streamed (only a regular file; the signature check hashes with it too).</summary>
    internal static (byte[] Sha256, long Length) Hash(string path)
    {
        if (BoundedFile.WhyNotRegular(path) is { } why) throw new PluginLoadException($"{path}: cannot hash the module: {why}", path);
        try
        {
            using var stream = BoundedFile.OpenRegular(path) ?? File.OpenRead(path);
            var hash = SHA256.HashData(stream);
            return (hash, stream.Position);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PluginLoadException($"{path}: cannot hash the module: {ex.Message}", path, innerException: ex);
        }
    }
}
