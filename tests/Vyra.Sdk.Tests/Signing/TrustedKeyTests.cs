using System.Security.Cryptography;
using Xunit;

namespace Vyra.Sdk.Tests.Signing;

public sealed class TrustedKeyTests
{
    [Fact]
    public void The_key_id_is_the_sha256_of_the_subject_public_key_info_and_survives_pem()
    {
        var spki = SigningKeys.Publisher.ExportSubjectPublicKeyInfo();
        var key = TrustedKey.FromSubjectPublicKeyInfo(spki);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(spki)).ToLowerInvariant(), key.KeyId);
        Assert.Equal(key.KeyId, TrustedKey.FromPem(key.ToPem()).KeyId);
        Assert.Equal(key.KeyId, TrustedKey.FromPem(SigningKeys.Publisher.ExportSubjectPublicKeyInfoPem()).KeyId);
        Assert.Equal(spki, key.SubjectPublicKeyInfo.ToArray());
    }

    [Fact]
    public void A_private_key_is_never_accepted_as_a_trusted_key()
    {
        var ex = Assert.Throws<ArgumentException>(() => TrustedKey.FromPem(SigningKeys.Publisher.ExportPkcs8PrivateKeyPem()));
        Assert.Contains("'PRIVATE KEY', not 'PUBLIC KEY'", ex.Message);
    }

    [Fact]
    public void Keys_on_another_curve_or_of_another_type_are_refused_when_made()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Contains("NIST P-256", Assert.Throws<ArgumentException>(() => TrustedKey.FromKey(p384)).Message);
        Assert.Contains("NIST P-256", Assert.Throws<ArgumentException>(() => TrustedKey.FromPem(p384.ExportSubjectPublicKeyInfoPem())).Message);
        using var rsa = RSA.Create(2048);
        Assert.Contains("not an ECDSA public key", Assert.Throws<ArgumentException>(() => TrustedKey.FromPem(rsa.ExportSubjectPublicKeyInfoPem())).Message);
        Assert.Throws<ArgumentException>(() => TrustedKey.FromPem("no pem here"));
        Assert.Throws<ArgumentException>(() => TrustedKey.FromSubjectPublicKeyInfo([.. SigningKeys.Publisher.ExportSubjectPublicKeyInfo(), 0]));
        using var plugin = SigningKeys.Plugin(sign: false);
        Assert.Throws<ArgumentException>(() => PluginSignatures.Sign(plugin.Directory, p384));
    }

    [Fact]
    public void Signing_with_only_a_public_key_is_refused()
    {
        using var publicOnly = ECDsa.Create();
        publicOnly.ImportSubjectPublicKeyInfo(SigningKeys.Publisher.ExportSubjectPublicKeyInfo(), out _);
        using var plugin = SigningKeys.Plugin(sign: false);
        Assert.Contains("cannot sign", Assert.Throws<ArgumentException>(() => PluginSignatures.Sign(plugin.Directory, publicOnly)).Message);
        Assert.False(File.Exists(plugin.SignaturePath()));
    }
}
