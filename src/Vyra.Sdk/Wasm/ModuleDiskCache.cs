using System.Buffers;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Wasmtime;
using Module = Wasmtime.Module;

namespace Vyra.Sdk;

/// <summary>
/// Compiled modules on disk, so a process start skips Cranelift. Deserializing a compiled module runs machine code
/// that nobody validates, so an entry must prove that this host wrote it for this exact module:
/// <list type="bullet">
/// <item>It is named by sha256(module bytes + Wasmtime version + engine configuration) and carries a MAC over the
/// payload under a key derived (HMAC-SHA256) from a secret the cache folder does not hold (<see cref="ModuleCacheKey"/>),
/// the module's sha256 and the engine fingerprint. The MAC is AES-GMAC with a random nonce per entry (HMAC-SHA256 where
/// AES-GCM is not available): it reads a compiled module five times faster than HMAC-SHA256. Another module's entry
/// copied over a victim's, a tampered or truncated entry, or one written with another key is a miss: the module is
/// compiled again and the entry rewritten, never an error.</item>
/// <item>What Wasmtime maps is never the entry itself: the verified bytes are copied into a file this process just
/// created (mode 0600, unlinked at once) and mapped through its descriptor (<c>/proc/self/fd</c>), so nobody can swap
/// or rewrite what was verified before or while it is mapped. Mapping a file is what makes Wasmtime's own
/// <c>DeserializeFile</c> fast; deserializing from memory copies and costs ~10× more. Where there is no
/// <c>/proc/self/fd</c> (not Linux), the verified bytes are deserialized from memory.</item>
/// <item>A folder everyone can write (the world write bit) is not used at all; the caller warns once.</item>
/// </list>
/// Writes go to a temp file first and are renamed into place, so concurrent writers never leave a torn entry.
/// </summary>
internal sealed class ModuleDiskCache
{
    // The entry: magic (which MAC), nonce, tag, payload. Version 2 entries (an HMAC over the payload) are misses, rewritten.
    private static readonly byte[] GmacMagic = "VYRAMOG3"u8.ToArray();
    private static readonly byte[] HmacMagic = "VYRAMOH3"u8.ToArray();
    private const int NonceSize = 12, TagSize = 16, Header = 8 + NonceSize + TagSize;

    /// <summary>Entries larger than this are not read (a compiled plugin is a few MiB at most).</summary>
    internal const long MaxEntryBytes = 512L * 1024 * 1024;

    private static readonly string WasmtimeVersion =
        typeof(Engine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(Engine).Assembly.GetName().Version?.ToString() ?? "unknown";

    private readonly string _directory;
    private readonly string _engineFingerprint;
    private readonly byte[] _key;

    public ModuleDiskCache(string directory, string engineFingerprint, byte[] key)
    {
        _directory = directory;
        _engineFingerprint = $"wasmtime={WasmtimeVersion};{engineFingerprint}";
        _key = key;
    }

    public string PathFor(string moduleHash) =>
        Path.Combine(_directory, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(moduleHash + "|" + _engineFingerprint))).ToLowerInvariant() + ".vyramod");

    /// <summary>
    /// Why <paramref name="directory"/> must not be used, or null when it may. On Unix the folder (when it exists) must
    /// not be writable by everyone. A group write bit is accepted: with user-private groups (umask 002) it is the norm,
    /// and the HMAC refuses whatever a group member plants. .NET offers no owner id, so ownership is not checked; the
    /// HMAC is what keeps a folder someone else controls from planting code.
    /// </summary>
    public static string? Untrusted(string directory)
    {
        if (OperatingSystem.IsWindows()) return null;
        try
        {
            if (!Directory.Exists(directory)) return null;
            var mode = File.GetUnixFileMode(directory);
            if ((mode & UnixFileMode.OtherWrite) != 0)
                return $"the folder is writable by everyone (mode {Convert.ToString((int)mode, 8)})";
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "its mode cannot be read: " + ex.Message;
        }
    }

    /// <summary>The module of a verified entry, or null: a miss (absent, tampered, or written by another Wasmtime).</summary>
    public Module? TryLoad(Engine engine, string moduleHash, string name) =>
        WithVerifiedEntry(moduleHash, payload =>
        {
            try
            {
                return (OperatingSystem.IsLinux() ? MapPrivately(engine, name, payload) : null) ?? Module.Deserialize(engine, name, payload);
            }
            catch (WasmtimeException)
            {
                return null; // written by another Wasmtime or configuration: recompile
            }
        });

    /// <summary>The verified payload of an entry (what <c>Serialize</c> gave), or null: a miss. Components use this.</summary>
    public byte[]? TryLoadPayload(string moduleHash) => WithVerifiedEntry(moduleHash, payload => payload.ToArray());

    private delegate T? VerifiedPayloadUse<T>(ReadOnlySpan<byte> payload) where T : class;

    /// <summary>Reads the entry once into a pooled buffer, checks its tag, and hands the verified payload to <paramref name="use"/>.</summary>
    private T? WithVerifiedEntry<T>(string moduleHash, VerifiedPayloadUse<T> use) where T : class
    {
        var path = PathFor(moduleHash);
        byte[] buffer;
        int length;
        try
        {
            // One open: the length checked is the length of the file read.
            using var entry = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            if (entry.Length <= Header || entry.Length > MaxEntryBytes) return null;
            length = (int)entry.Length;
            // Pooled: a compiled module is megabytes, and a fresh array per load is a large-object allocation.
            buffer = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                entry.ReadExactly(buffer, 0, length);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // missing, unreadable, or shrunk while read
        }
        try
        {
            return Verified(moduleHash, buffer.AsSpan(0, length), use);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private T? Verified<T>(string moduleHash, ReadOnlySpan<byte> bytes, VerifiedPayloadUse<T> use) where T : class
    {
        var magic = bytes[..8];
        var gmac = magic.SequenceEqual(GmacMagic);
        if (!gmac && !magic.SequenceEqual(HmacMagic)) return null;
        if (gmac && !AesGcm.IsSupported) return null;
        var payload = bytes[Header..];
        Span<byte> tag = stackalloc byte[TagSize];
        Mac(gmac, moduleHash, bytes.Slice(8, NonceSize), payload, tag);
        if (!CryptographicOperations.FixedTimeEquals(tag, bytes.Slice(8 + NonceSize, TagSize))) return null;
        return use(payload);
    }

    /// <summary>
    /// Deserializes <paramref name="verified"/> the fast way (Wasmtime maps a file) without mapping a file anyone else
    /// could change: the bytes go into a file created here (O_EXCL, 0600) whose name is removed at once, and Wasmtime
    /// opens it through this process's descriptor. Null where that cannot be done (no <c>/proc/self/fd</c>, or the temp
    /// folder refuses the file); the caller then deserializes from memory.
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static Module? MapPrivately(Engine engine, string name, ReadOnlySpan<byte> verified)
    {
        if (!ProcFileDescriptors) return null;
        var temp = Path.Combine(Path.GetTempPath(), "vyra-module-" + Guid.NewGuid().ToString("N"));
        FileStream copy;
        try
        {
            copy = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        using (copy)
        {
            try
            {
                File.Delete(temp); // from now on only the descriptor reaches it
                copy.Write(verified);
                copy.Flush();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
            // Wasmtime maps the file and keeps the mapping; closing the descriptor afterwards does not unmap it.
            return Module.DeserializeFile(engine, name, "/proc/self/fd/" + copy.SafeFileHandle.DangerousGetHandle().ToInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private static readonly bool ProcFileDescriptors = Directory.Exists("/proc/self/fd");

    public void Store(string moduleHash, Module module)
    {
        byte[] payload;
        try
        {
            payload = module.Serialize();
        }
        catch (WasmtimeException)
        {
            return;
        }
        StorePayload(moduleHash, payload);
    }

    /// <summary>Writes an entry for <paramref name="payload"/> (a serialized module or component); failures only cost a compile.</summary>
    public void StorePayload(string moduleHash, byte[] payload)
    {
        var path = PathFor(moduleHash);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(_directory);
            else Directory.CreateDirectory(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var gmac = AesGcm.IsSupported;
            Span<byte> nonce = stackalloc byte[NonceSize];
            RandomNumberGenerator.Fill(nonce); // GMAC must never see a nonce twice under one key
            Span<byte> tag = stackalloc byte[TagSize];
            Mac(gmac, moduleHash, nonce, payload, tag);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(gmac ? GmacMagic : HmacMagic);
                stream.Write(nonce);
                stream.Write(tag);
                stream.Write(payload);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or WasmtimeException or CryptographicException)
        {
            // A cache that cannot be written only costs the next process a compile.
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// The entry's tag: a MAC over the payload under a key bound to this module (its sha256) and this engine, derived from
    /// a secret the cache folder does not hold. With AES-GMAC the nonce is the entry's own (random per write).
    /// </summary>
    private void Mac(bool gmac, string moduleHash, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> payload, Span<byte> tag)
    {
        Span<byte> entryKey = stackalloc byte[32];
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes((gmac ? "gmac|" : "hmac|") + moduleHash + "|" + _engineFingerprint), entryKey);
        if (gmac)
        {
            using var aes = new AesGcm(entryKey, TagSize);
            aes.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag, associatedData: payload);
        }
        else
        {
            Span<byte> full = stackalloc byte[32];
            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, entryKey);
            hmac.AppendData(nonce);
            hmac.AppendData(payload);
            hmac.GetHashAndReset(full);
            full[..TagSize].CopyTo(tag);
        }
    }
}
