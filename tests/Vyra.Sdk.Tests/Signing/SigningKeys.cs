using System.Security.Cryptography;
using Vyra.Sdk.Tests.Support;

namespace Vyra.Sdk.Tests.Signing;

/// <summary>Keys made once per test run (P-256 key generation is cheap, but every test needs a pair).</summary>
internal static class SigningKeys
{
    public static ECDsa Publisher { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public static ECDsa Stranger { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public static TrustedKey PublisherKey { get; } = TrustedKey.FromKey(Publisher);

    public static SignaturePolicy Policy(SignatureMode mode) => new() { Mode = mode, TrustedKeys = [PublisherKey] };

    public const string Wat = """(module (func (export "v") (result i32) i32.const 7))""";

    public const string Manifest = """{"id":"signed","version":"1.0.0","exports":[{"name":"v","args":[]}]}""";

    /// <summary>A plugin folder with logic.wat and metadata.json, signed by <see cref="Publisher"/> unless told otherwise.</summary>
    public static TempPlugin Plugin(bool sign = true, ECDsa? by = null, string? manifest = Manifest)
    {
        var plugin = TempPlugin.FromWat(Wat, manifest, name: "signed");
        if (sign) PluginSignatures.Sign(plugin.Directory, by ?? Publisher);
        return plugin;
    }

    public static string SignaturePath(this TempPlugin plugin) => Path.Combine(plugin.Directory, PluginSignatures.FileName);
}
