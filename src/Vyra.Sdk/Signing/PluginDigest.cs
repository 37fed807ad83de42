using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Vyra.Sdk;

/// <summary>
/// The canonical statement a plugin signature signs, and the files it covers (docs/signing.md, "The digest"):
/// <code>
/// statement = "vyra-plugin-signature-v1" 0x00
///             u8 count
///             count × ( u8 name length, name (UTF-8), u64 file length (big-endian), SHA-256 of the file (32 bytes) )
/// digest    = SHA-256(statement)
/// </code>
/// The files are, in this order: <c>manifest.yaml</c> and <c>metadata.json</c> (each when present), then the module.
/// Names and lengths are inside, so a file renamed, added or dropped changes the digest as surely as changed bytes;
/// the domain prefix keeps the signature from meaning anything in another protocol that signs SHA-256 digests.
/// </summary>
internal static class PluginDigest
{
    public static ReadOnlySpan<byte> Domain => "vyra-plugin-signature-v1\0"u8;

    /// <summary>The manifest files a folder may hold, in the statement's order.</summary>
    public static readonly string[] ManifestNames = [ManifestReader.YamlFileName, ManifestReader.FileName];

    /// <summary>The names of the files a signature of <paramref name="folder"/> with this module must cover.</summary>
    public static List<string> CoveredNames(string folder, string modulePath)
    {
        var names = ManifestNames.Where(n => File.Exists(Path.Combine(folder, n)) || Directory.Exists(Path.Combine(folder, n))).ToList();
        names.Add(Path.GetFileName(modulePath));
        return names;
    }

    /// <summary>Hashes one file of the folder (a manifest bounded as the reader bounds it; the module streamed).</summary>
    public static SignedFile Hash(string folder, string name, bool isModule) => Hash(folder, name, isModule, out _);

    /// <summary>As <see cref="Hash(string, string, bool)"/>; a manifest's bytes come out as they were hashed (null for the module).</summary>
    public static SignedFile Hash(string folder, string name, bool isModule, out byte[]? manifestBytes)
    {
        var path = Path.Combine(folder, name);
        manifestBytes = null;
        if (!isModule)
        {
            var bytes = BoundedFile.Read(path, ManifestReader.MaxBytes, "manifest");
            manifestBytes = bytes;
            return new SignedFile(name, bytes.Length, SHA256.HashData(bytes));
        }
        var (hash, length) = ModuleChecksum.Hash(path);
        return new SignedFile(name, length, hash);
    }

    /// <summary>The statement for these files (see the type's summary).</summary>
    public static byte[] Statement(IReadOnlyList<SignedFile> files)
    {
        using var buffer = new MemoryStream();
        buffer.Write(Domain);
        WriteFiles(buffer, files);
        return buffer.ToArray();
    }

    /// <summary>The file list as the statement and <c>signature.bin</c> both encode it.</summary>
    public static void WriteFiles(Stream output, IReadOnlyList<SignedFile> files)
    {
        output.WriteByte(checked((byte)files.Count));
        Span<byte> length = stackalloc byte[8];
        foreach (var file in files)
        {
            var name = Encoding.UTF8.GetBytes(file.Name);
            output.WriteByte(checked((byte)name.Length));
            output.Write(name);
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)file.Length);
            output.Write(length);
            output.Write(file.Sha256);
        }
    }
}
