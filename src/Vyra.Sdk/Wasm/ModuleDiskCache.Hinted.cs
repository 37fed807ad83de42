using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Wasmtime;
using Module = Wasmtime.Module;

namespace Vyra.Sdk;

/// <summary>What the last <see cref="ModuleDiskCache.LoadBesideHash"/> did with the hint (tests observe it).</summary>
internal enum HintOutcome
{
    /// <summary>No hint, or one that was garbled, not a regular file, or stamped for another version of the file.</summary>
    None,
    /// <summary>The module the hint names is in memory already: nothing read.</summary>
    InMemory,
    /// <summary>The entry the hint names is missing or failed its MAC.</summary>
    Refused,
    /// <summary>The entry was loaded, but the module's hash is another key: the loaded module was disposed.</summary>
    Discarded,
    /// <summary>The module came from the entry the hint named, and the hash proved it the right one.</summary>
    Used,
}

/// <summary>The module key the hash gave, and the module loaded through the hint when the key proved it right.</summary>
internal readonly record struct HintedLoad(string Key, Module? Module, bool EntryRefused);

internal sealed partial class ModuleDiskCache
{
    /// <summary>The key <see cref="WasmEngine"/> caches a module under: its bytes' sha256 (uppercase hex) and its kind.</summary>
    internal static string KeyOf(ReadOnlySpan<byte> bytes, bool text) => Convert.ToHexString(SHA256.HashData(bytes)) + (text ? ".wat" : ".wasm");

    /// <summary>
    /// The hint file for the module at <paramref name="modulePath"/> under this engine: named by a hash of the full path
    /// and the engine, so no path reaches outside the folder and two configurations never share a hint.
    /// </summary>
    public string HintPathFor(string modulePath) =>
        Path.Combine(_directory, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("hint|" + Path.GetFullPath(modulePath) + "|" + _engineFingerprint))).ToLowerInvariant() + ModuleCacheHint.Extension);

    /// <summary>Records that the module at <paramref name="modulePath"/>, stamped <paramref name="stamp"/>, had <paramref name="key"/>.</summary>
    public void WriteHint(string modulePath, FileStamp stamp, string key) => ModuleCacheHint.Write(HintPathFor(modulePath), key, stamp);

    /// <summary>What the last <see cref="LoadBesideHash"/> did with the hint (tests only; not synchronized).</summary>
    internal HintOutcome LastHint { get; private set; }

    /// <summary>Tests only: called with each speculative module after it was disposed because the hash named another key.</summary>
    internal Action<Module>? SpeculationDiscarded { get; init; }

    /// <summary>
    /// Hashes <paramref name="bytes"/> (the module at <paramref name="modulePath"/>, read when it had
    /// <paramref name="stamp"/>) and, when a hint names the key this path had at this stamp, reads, checks, copies and
    /// maps that entry meanwhile. This thread reads the entry, writes the private copy and maps it; a pool thread checks
    /// the MAC and then hashes (either is run here when no pool thread has started it, so a busy pool costs nothing over
    /// doing them in turn). The module is returned only when the hash is the hint's key and the MAC matched under it;
    /// otherwise it is disposed and the caller takes the sequential path with <see cref="HintedLoad.Key"/>.
    /// </summary>
    /// <remarks><paramref name="inMemory"/> says whether a key is loaded in this process already (then no entry is read).</remarks>
    public HintedLoad LoadBesideHash(Engine engine, string modulePath, FileStamp stamp, ReadOnlyMemory<byte> bytes, bool text, Func<string, bool>? inMemory = null)
    {
        var hinted = ModuleCacheHint.Read(HintPathFor(modulePath), stamp);
        if (hinted is null || !hinted.EndsWith(text ? ".wat" : ".wasm", StringComparison.Ordinal))
        {
            LastHint = HintOutcome.None;
            return new HintedLoad(KeyOf(bytes.Span, text), null, EntryRefused: false);
        }
        if (inMemory?.Invoke(hinted) == true)
        {
            LastHint = HintOutcome.InMemory;
            return new HintedLoad(KeyOf(bytes.Span, text), null, EntryRefused: false);
        }
        var hash = WorkAlongside<string>.Later(() => KeyOf(bytes.Span, text));
        Module? module = null;
        string key;
        try
        {
            if (ReadEntry(PathFor(hinted)) is var (buffer, length))
            {
                try
                {
                    module = LoadEntry(engine, hinted, buffer, length, Path.GetFileName(modulePath), afterMac: hash.Help);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            key = hash.Result();
        }
        catch
        {
            hash.Drop(); // a pool thread may be hashing: wait for it, the caller gives the module's buffer back
            module?.Dispose();
            throw;
        }
        if (module is null)
        {
            LastHint = HintOutcome.Refused;
            return new HintedLoad(key, null, EntryRefused: key == hinted);
        }
        if (key != hinted)
        {
            // A stale, planted or forged hint: the entry was this host's, for another module. Never used.
            module.Dispose();
            LastHint = HintOutcome.Discarded;
            SpeculationDiscarded?.Invoke(module);
            return new HintedLoad(key, null, EntryRefused: false);
        }
        LastHint = HintOutcome.Used;
        return new HintedLoad(key, module, EntryRefused: false);
    }
}
