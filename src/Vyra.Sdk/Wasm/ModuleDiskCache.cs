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
/// <item>What Wasmtime maps is never the entry itself: the entry is read once into a private buffer, and what is mapped
/// is a copy of that buffer in a file only this process reaches (<see cref="PrivateModuleFile"/>: an anonymous memory
/// file, else an unlinked 0600 temp file), opened by Wasmtime through <c>/proc/self/fd</c> and mapped only after the MAC
/// matched. So nobody can swap or rewrite what was verified before or while it is mapped. Mapping a file is what makes
/// Wasmtime's own <c>DeserializeFile</c> fast; deserializing from memory copies and costs ~10× more, and is the fallback
/// where there is no <c>/proc/self/fd</c> (not Linux) or no private file.</item>
/// <item>A hint per (module path, engine) names the key the module there had, so a start can read and map the entry while
/// it hashes the module (ModuleDiskCache.Hinted.cs); the module is used only when the hash is the hint's key.</item>
/// <item>A folder everyone can write (the world write bit) is not used at all; the caller warns once.</item>
/// </list>
/// Writes go to a temp file first and are renamed into place, so concurrent writers never leave a torn entry.
/// </summary>
internal sealed partial class ModuleDiskCache
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

    /// <summary>Off only in tests: forces the unlinked temp file, as where <c>memfd_create</c> is refused.</summary>
    internal bool UseMemoryFile { get; init; } = true;

    /// <summary>Where the unlinked copy goes when there is no memory file (tests point it at a folder that refuses it).</summary>
    internal string TempFolder { get; init; } = Path.GetTempPath();

    /// <summary>Tests only: runs after the entry's length was checked and before its bytes are read (to change it then).</summary>
    internal Action<string>? BeforeEntryRead { get; init; }

    /// <summary>Where the last successful <see cref="TryLoad"/> put the bytes Wasmtime loaded (tests observe the fallbacks).</summary>
    internal PrivateCopyKind LastCopy { get; private set; }

    /// <summary>
    /// The module of a verified entry, or null: a miss (absent, tampered, or written by another Wasmtime). On Linux the
    /// entry's MAC is checked on a pool thread while this thread copies the same bytes (a private buffer nobody else
    /// writes) into a private file; the file is mapped only once the MAC matched, and dropped unmapped otherwise.
    /// </summary>
    public Module? TryLoad(Engine engine, string moduleHash, string name)
    {
        if (ReadEntry(PathFor(moduleHash)) is not var (buffer, length)) return null;
        try
        {
            return LoadEntry(engine, moduleHash, buffer, length, name, afterMac: null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The module of an entry read into <paramref name="buffer"/>, verified under <paramref name="moduleHash"/>, or null.
    /// The pool thread that checks the MAC runs <paramref name="afterMac"/> next (the module's hash, when the entry was
    /// found through a hint). Every path out has the MAC's work ended, so the caller may give the buffer back.
    /// </summary>
    private Module? LoadEntry(Engine engine, string moduleHash, byte[] buffer, int length, string name, Action? afterMac)
    {
        if (Recognized(buffer.AsSpan(0, length)) is not { } gmac) return null;
        var payload = buffer.AsSpan(Header, length - Header);
        if (OperatingSystem.IsLinux() && ProcFileDescriptors)
        {
            var check = WorkAlongside<bool>.Start(() => TagMatches(gmac, moduleHash, buffer.AsSpan(0, length)), afterMac);
            FileStream? copy;
            PrivateCopyKind kind;
            try
            {
                copy = PrivateModuleFile.Create(payload, UseMemoryFile, TempFolder, out kind);
            }
            catch
            {
                check.Drop(); // it reads the pooled buffer, given back by the caller
                throw;
            }
            using (copy)
            {
                if (!check.Result()) return null;
                var path = copy is null ? null : PrivateModuleFile.PathOf(copy);
                if (path is not null && Deserialized(() => Module.DeserializeFile(engine, name, path)) is { } mapped)
                {
                    // Wasmtime keeps its own mapping; closing the descriptor afterwards does not unmap it.
                    LastCopy = kind;
                    return mapped;
                }
            }
        }
        else if (!TagMatches(gmac, moduleHash, buffer.AsSpan(0, length))) return null;
        // No private file (or it could not be mapped as code): the verified bytes, from memory.
        var loaded = Deserialized(() => Module.Deserialize(engine, name, buffer.AsSpan(Header, length - Header)));
        if (loaded is not null) LastCopy = PrivateCopyKind.Memory;
        return loaded;
    }

    private static Module? Deserialized(Func<Module> load)
    {
        try
        {
            return load();
        }
        catch (WasmtimeException)
        {
            return null; // written by another Wasmtime or configuration (recompile), or not mappable as code here
        }
    }

    /// <summary>The verified payload of an entry (what <c>Serialize</c> gave), or null: a miss. Components use this.</summary>
    public byte[]? TryLoadPayload(string moduleHash)
    {
        if (ReadEntry(PathFor(moduleHash)) is not var (buffer, length)) return null;
        try
        {
            var entry = buffer.AsSpan(0, length);
            return Recognized(entry) is { } gmac && TagMatches(gmac, moduleHash, entry) ? entry[Header..].ToArray() : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The whole entry, read once into a pooled buffer (a compiled module is megabytes: a fresh array per load would be
    /// a large-object allocation), or null. Bounded: its length is checked on the open file before a byte is read, and
    /// no more than that length is read even if it grows. On Linux a FIFO or device planted under the entry's name is
    /// refused by its type after a non-blocking open, so it cannot hang the load.
    /// </summary>
    private (byte[] Buffer, int Length)? ReadEntry(string path)
    {
        try
        {
            using var entry = BoundedFile.OpenRegular(path) ?? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            var size = entry.Length;
            if (size <= Header || size > MaxEntryBytes) return null;
            BeforeEntryRead?.Invoke(path);
            var length = (int)size;
            var buffer = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                entry.ReadExactly(buffer, 0, length);
                return (buffer, length);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PluginLoadException)
        {
            return null; // missing, unreadable, not a regular file, or shrunk while read (a short read is a miss)
        }
    }

    /// <summary>Whether the entry's MAC is AES-GMAC (true) or HMAC-SHA256 (false); null for an unknown magic, or GMAC where AES-GCM is missing.</summary>
    private static bool? Recognized(ReadOnlySpan<byte> entry)
    {
        var magic = entry[..8];
        if (magic.SequenceEqual(GmacMagic)) return AesGcm.IsSupported ? true : null;
        return magic.SequenceEqual(HmacMagic) ? false : null;
    }

    private bool TagMatches(bool gmac, string moduleHash, ReadOnlySpan<byte> entry)
    {
        Span<byte> tag = stackalloc byte[TagSize];
        Mac(gmac, moduleHash, entry.Slice(8, NonceSize), entry[Header..], tag);
        return CryptographicOperations.FixedTimeEquals(tag, entry.Slice(8 + NonceSize, TagSize));
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
