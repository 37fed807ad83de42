using System.Buffers.Binary;
using System.Text;

namespace Vyra.Sdk;

/// <summary>
/// <c>signature.bin</c>, the detached signature beside a plugin's manifest (docs/signing.md, "signature.bin"):
/// <code>
/// offset  size  field
/// 0       8     magic "VYRA-SIG"
/// 8       1     format version: 1
/// 9       1     algorithm: 1 = ECDSA P-256 over SHA-256, signature as IEEE P1363 (r ‖ s)
/// 10      32    key id: SHA-256 of the signing key's DER SubjectPublicKeyInfo
/// 42      …     the signed files, encoded as in the statement (u8 count, then name, length, SHA-256 per file)
/// …       2     signature length (big-endian): 64
/// …       64    the signature over the statement
/// </code>
/// Nothing may follow. The file is read bounded (<see cref="MaxBytes"/>) and parsed strictly: every field is checked,
/// and a file that is not exactly this shape is refused as malformed, naming what is wrong and where.
/// </summary>
internal sealed record SignatureFile(byte[] KeyId, IReadOnlyList<SignedFile> Files, byte[] Signature)
{
    /// <summary>The file name upstream reserved beside every plugin manifest.</summary>
    public const string FileName = "signature.bin";

    /// <summary>The largest <c>signature.bin</c> read: three files with 255-byte names need about 1 KiB.</summary>
    public const int MaxBytes = 4096;

    public const byte Version = 1;
    public const byte EcdsaP256Sha256 = 1;
    public const int SignatureBytes = 64;
    private const int MaxFiles = 3;

    public static ReadOnlySpan<byte> Magic => "VYRA-SIG"u8;

    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        buffer.Write(Magic);
        buffer.WriteByte(Version);
        buffer.WriteByte(EcdsaP256Sha256);
        buffer.Write(KeyId);
        PluginDigest.WriteFiles(buffer, Files);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)Signature.Length);
        buffer.Write(length);
        buffer.Write(Signature);
        return buffer.ToArray();
    }

    /// <summary>Parses the file's bytes; null with the reason when they are not a signature file of this format.</summary>
    public static SignatureFile? Parse(ReadOnlySpan<byte> bytes, out string? problem)
    {
        var reader = new Reader(bytes);
        problem = Read(ref reader, out var parsed);
        return problem is null ? parsed : null;
    }

    private static string? Read(ref Reader reader, out SignatureFile? parsed)
    {
        parsed = null;
        if (!reader.Take(Magic.Length, out var magic) || !magic.SequenceEqual(Magic)) return "it does not start with the magic 'VYRA-SIG'";
        if (!reader.Byte(out var version)) return "it ends inside the header";
        if (version != Version) return $"format version {version} is not supported (this reader knows version {Version})";
        if (!reader.Byte(out var algorithm)) return "it ends inside the header";
        if (algorithm != EcdsaP256Sha256) return $"algorithm {algorithm} is not supported (1 = ECDSA P-256 with SHA-256)";
        if (!reader.Take(32, out var keyId)) return "it ends inside the key id";
        if (!reader.Byte(out var count)) return "it ends before the file list";
        if (count is 0 or > MaxFiles) return $"it lists {count} signed files; a plugin signature covers 1 to {MaxFiles}";
        var files = new List<SignedFile>(count);
        for (var i = 0; i < count; i++)
        {
            if (!reader.Byte(out var nameLength) || !reader.Take(nameLength, out var nameBytes)) return $"it ends inside signed file {i + 1}'s name";
            if (NameProblem(nameBytes, out var name) is { } bad) return $"signed file {i + 1}: {bad}";
            if (files.Any(f => f.Name == name)) return $"it lists '{name}' twice";
            if (!reader.Take(8, out var lengthBytes) || !reader.Take(32, out var hash)) return $"it ends inside signed file '{name}'";
            var length = BinaryPrimitives.ReadUInt64BigEndian(lengthBytes);
            if (length > long.MaxValue) return $"signed file '{name}' has an impossible length {length}";
            files.Add(new SignedFile(name, (long)length, hash.ToArray()));
        }
        if (!reader.Take(2, out var signatureLength)) return "it ends before the signature";
        var declared = BinaryPrimitives.ReadUInt16BigEndian(signatureLength);
        if (declared != SignatureBytes) return $"the signature length is {declared}; ECDSA P-256 signatures are {SignatureBytes} bytes";
        if (!reader.Take(SignatureBytes, out var signature)) return $"it ends inside the signature ({reader.Remaining} of {SignatureBytes} bytes)";
        if (reader.Remaining != 0) return $"{reader.Remaining} bytes follow the signature";
        parsed = new SignatureFile(keyId.ToArray(), files, signature.ToArray());
        return null;
    }

    /// <summary>A signed name is a plain file name of the folder: never a path, never empty, valid UTF-8.</summary>
    private static string? NameProblem(ReadOnlySpan<byte> bytes, out string name)
    {
        name = "";
        if (bytes.IsEmpty) return "the name is empty";
        try
        {
            name = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return "the name is not valid UTF-8";
        }
        if (name is "." or ".." || name.IndexOfAny(['/', '\\', '\0']) >= 0 || name.Any(char.IsControl))
            return $"'{Printable(name)}' is not a plain file name";
        return null;
    }

    private static string Printable(string text) => string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private ReadOnlySpan<byte> _rest = bytes;

        public readonly int Remaining => _rest.Length;

        public bool Take(int count, out ReadOnlySpan<byte> taken)
        {
            if (_rest.Length < count)
            {
                taken = default;
                return false;
            }
            taken = _rest[..count];
            _rest = _rest[count..];
            return true;
        }

        public bool Byte(out byte value)
        {
            value = _rest.IsEmpty ? (byte)0 : _rest[0];
            if (_rest.IsEmpty) return false;
            _rest = _rest[1..];
            return true;
        }
    }
}
