using System.Security.Cryptography;

namespace Vyra.Sdk;

/// <summary>
/// A public key trusted to sign plugins: an ECDSA key on NIST P-256, held as its DER <c>SubjectPublicKeyInfo</c>. Its
/// <see cref="KeyId"/> (SHA-256 of those bytes) is what <c>signature.bin</c> names, so the verifier finds the key without
/// trying each one. Keys of another type or curve are refused when the key is made, not when a plugin loads.
/// </summary>
public sealed class TrustedKey
{
    private const string P256Oid = "1.2.840.10045.3.1.7";
    private readonly byte[] _spki;

    private TrustedKey(byte[] spki)
    {
        _spki = spki;
        KeyIdBytes = SHA256.HashData(spki);
        KeyId = Convert.ToHexString(KeyIdBytes).ToLowerInvariant();
    }

    /// <summary>The key id: lowercase hex of the SHA-256 of <see cref="SubjectPublicKeyInfo"/>.</summary>
    public string KeyId { get; }

    /// <summary>The key as DER <c>SubjectPublicKeyInfo</c> bytes.</summary>
    public ReadOnlyMemory<byte> SubjectPublicKeyInfo => _spki;

    internal byte[] KeyIdBytes { get; }

    /// <summary>A key from a PEM <c>-----BEGIN PUBLIC KEY-----</c> block (what <c>vyra keygen</c> writes).</summary>
    /// <exception cref="ArgumentException">No public key PEM, a private key, or not an ECDSA P-256 key.</exception>
    public static TrustedKey FromPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (!PemEncoding.TryFind(pem, out var fields))
            throw new ArgumentException("no PEM block found: a trusted key is a '-----BEGIN PUBLIC KEY-----' block", nameof(pem));
        var label = pem.AsSpan()[fields.Label];
        // A private key here would mean the signing secret was copied to every host that verifies: refuse it.
        if (!label.SequenceEqual("PUBLIC KEY"))
            throw new ArgumentException($"the PEM block is '{label}', not 'PUBLIC KEY': a trusted key is only the public half", nameof(pem));
        byte[] der;
        try
        {
            der = Convert.FromBase64String(pem[fields.Base64Data]);
        }
        catch (FormatException ex)
        {
            throw new ArgumentException("the PEM block's base64 is malformed", nameof(pem), ex);
        }
        return FromSubjectPublicKeyInfo(der);
    }

    /// <summary>A key from DER <c>SubjectPublicKeyInfo</c> bytes.</summary>
    /// <exception cref="ArgumentException">Not a well-formed ECDSA P-256 public key.</exception>
    public static TrustedKey FromSubjectPublicKeyInfo(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        using var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out var read);
            if (read != subjectPublicKeyInfo.Length) throw new ArgumentException($"{subjectPublicKeyInfo.Length - read} bytes follow the key", nameof(subjectPublicKeyInfo));
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"not an ECDSA public key (SubjectPublicKeyInfo): {ex.Message}", nameof(subjectPublicKeyInfo), ex);
        }
        return new TrustedKey(Canonical(ecdsa, nameof(subjectPublicKeyInfo)));
    }

    /// <summary>The public half of a signing key.</summary>
    /// <exception cref="ArgumentException">Not a P-256 key.</exception>
    public static TrustedKey FromKey(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new TrustedKey(Canonical(key, nameof(key)));
    }

    /// <summary>The key as a PEM <c>PUBLIC KEY</c> block.</summary>
    public string ToPem() => PemEncoding.WriteString("PUBLIC KEY", _spki);

    /// <inheritdoc />
    public override string ToString() => KeyId;

    /// <summary>The curve is checked and the bytes re-exported, so one key has one id however its DER was written.</summary>
    private static byte[] Canonical(ECDsa key, string parameter)
    {
        var curve = key.ExportParameters(includePrivateParameters: false).Curve;
        if (!curve.IsNamed || curve.Oid.Value != P256Oid)
            throw new ArgumentException($"the key is on curve '{curve.Oid.FriendlyName ?? curve.Oid.Value ?? "explicit"}'; plugin signatures use ECDSA on NIST P-256", parameter);
        return key.ExportSubjectPublicKeyInfo();
    }

    /// <summary>The key ready to verify with (the caller disposes it).</summary>
    internal ECDsa Open()
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(_spki, out _);
        return ecdsa;
    }
}
