using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Wasmtime;
using Module = Wasmtime.Module;

namespace Vyra.Sdk;

/// <summary>
/// Compiled modules on disk, so a process start skips Cranelift. An entry is named by sha256(module bytes +
/// Wasmtime version + engine configuration), because a serialized module loads only into the same Wasmtime and the
/// same configuration. Entries carry a sha256 of their payload: a corrupt, truncated or foreign file is a miss that
/// recompiles and rewrites, never an error and never handed to Wasmtime unchecked (deserializing is not a validation).
/// Writes go to a temp file first and are renamed into place, so concurrent writers never leave a torn entry.
/// </summary>
internal sealed class ModuleDiskCache
{
    private static readonly byte[] Magic = "VYRAMOD1"u8.ToArray();
    private static readonly string WasmtimeVersion =
        typeof(Engine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(Engine).Assembly.GetName().Version?.ToString() ?? "unknown";

    private readonly string _directory;
    private readonly string _engineFingerprint;

    public ModuleDiskCache(string directory, bool fuel)
    {
        _directory = directory;
        _engineFingerprint = $"wasmtime={WasmtimeVersion};epoch=1;fuel={(fuel ? 1 : 0)}";
    }

    public string PathFor(string moduleHash) =>
        Path.Combine(_directory, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(moduleHash + "|" + _engineFingerprint))).ToLowerInvariant() + ".vyramod");

    public Module? TryLoad(Engine engine, string moduleHash, string name)
    {
        var path = PathFor(moduleHash);
        byte[] bytes;
        try
        {
            if (!File.Exists(path)) return null;
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        const int header = 8 + 32;
        if (bytes.Length <= header || !bytes.AsSpan(0, 8).SequenceEqual(Magic)) return null;
        var payload = bytes.AsSpan(header);
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(bytes.AsSpan(8, 32))) return null;
        try
        {
            return Module.Deserialize(engine, name, payload);
        }
        catch (WasmtimeException)
        {
            return null; // written by another Wasmtime or configuration: recompile
        }
    }

    public void Store(string moduleHash, Module module)
    {
        var path = PathFor(moduleHash);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            Directory.CreateDirectory(_directory);
            var payload = module.Serialize();
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(Magic);
                stream.Write(SHA256.HashData(payload));
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
}
