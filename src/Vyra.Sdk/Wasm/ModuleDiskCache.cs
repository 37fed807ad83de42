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
/// <item>It is named by sha256(module bytes + Wasmtime version + engine configuration) and carries an HMAC-SHA256 over
/// the module's sha256, the engine fingerprint and the payload, keyed with a secret the cache folder does not hold
/// (<see cref="ModuleCacheKey"/>). Another module's entry copied over a victim's, a tampered or truncated entry, or one
/// written with another key is a miss: the module is compiled again and the entry rewritten, never an error.</item>
/// <item>A folder everyone can write (the world write bit) is not used at all; the caller warns once.</item>
/// </list>
/// Writes go to a temp file first and are renamed into place, so concurrent writers never leave a torn entry.
/// </summary>
internal sealed class ModuleDiskCache
{
    private static readonly byte[] Magic = "VYRAMOD2"u8.ToArray();
    private const int MacSize = 32;

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

    public Module? TryLoad(Engine engine, string moduleHash, string name)
    {
        if (TryLoadPayload(moduleHash) is not { } payload) return null;
        try
        {
            return Module.Deserialize(engine, name, payload);
        }
        catch (WasmtimeException)
        {
            return null; // written by another Wasmtime or configuration: recompile
        }
    }

    /// <summary>The verified payload of an entry (what <c>Serialize</c> gave), or null: a miss. Components use this too.</summary>
    public byte[]? TryLoadPayload(string moduleHash)
    {
        var path = PathFor(moduleHash);
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxEntryBytes) return null;
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        const int header = 8 + MacSize;
        if (bytes.Length <= header || !bytes.AsSpan(0, 8).SequenceEqual(Magic)) return null;
        var payload = bytes.AsSpan(header);
        if (!CryptographicOperations.FixedTimeEquals(Mac(moduleHash, payload), bytes.AsSpan(8, MacSize))) return null;
        return payload.ToArray();
    }

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
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(Magic);
                stream.Write(Mac(moduleHash, payload));
                stream.Write(payload);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or WasmtimeException)
        {
            // A cache that cannot be written only costs the next process a compile.
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    // Binds the entry to this module (its sha256) and this engine, under a key the cache folder does not hold.
    private byte[] Mac(string moduleHash, ReadOnlySpan<byte> payload)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        hmac.AppendData(Encoding.UTF8.GetBytes(moduleHash + "|" + _engineFingerprint + "|"));
        hmac.AppendData(payload);
        return hmac.GetHashAndReset();
    }
}
