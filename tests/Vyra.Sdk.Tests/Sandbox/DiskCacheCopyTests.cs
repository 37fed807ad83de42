using System.Diagnostics;
using System.Security.Cryptography;
using Vyra.Sdk;
using Wasmtime;
using Xunit;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>
/// How a disk cache hit reaches Wasmtime: the entry is read once, checked, and what Wasmtime maps is a private copy
/// (an anonymous memory file on Linux, else an unlinked temp file, else memory). Every route loads the verified code,
/// and an entry that changes or shrinks while it is read is a miss, never a mix.
/// </summary>
public class DiskCacheCopyTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "vyra-cache-copy", Guid.NewGuid().ToString("N"));
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly Engine _engine = WasmEngine.For(fuel: false).Engine;

    public DiskCacheCopyTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string CacheFolder => Path.Combine(_folder, "cache");

    private ModuleDiskCache Disk(bool memoryFile = true, string? tempFolder = null, Action<string>? beforeRead = null) =>
        new(CacheFolder, WasmEngine.For(fuel: false).Fingerprint, _key)
        {
            UseMemoryFile = memoryFile,
            TempFolder = tempFolder ?? Path.GetTempPath(),
            BeforeEntryRead = beforeRead,
        };

    /// <summary>Stores an entry for a module answering <paramref name="value"/> under a key of its own; returns the key.</summary>
    private string Stored(int value)
    {
        using var module = Module.FromText(_engine, "m", $$"""(module (func (export "answer") (result i32) i32.const {{value}}))""");
        var key = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)) + ".wasm";
        Disk().Store(key, module);
        Assert.True(File.Exists(Disk().PathFor(key)));
        return key;
    }

    private int Answer(Module module)
    {
        using var store = new Store(_engine);
        store.SetEpochDeadline(ulong.MaxValue / 2);
        return new Linker(_engine).Instantiate(store, module).GetFunction<int>("answer")!();
    }

    [Fact]
    public void On_Linux_a_verified_entry_is_mapped_from_an_anonymous_memory_file()
    {
        var value = Random.Shared.Next(1, 1_000_000);
        var key = Stored(value);
        var disk = Disk();
        using var loaded = disk.TryLoad(_engine, key, "m");
        Assert.NotNull(loaded);
        Assert.Equal(value, Answer(loaded));
        Assert.Equal(OperatingSystem.IsLinux() ? PrivateCopyKind.MemoryFile : PrivateCopyKind.Memory, disk.LastCopy);
    }

    [Fact]
    public void Without_a_memory_file_the_copy_is_an_unlinked_temp_file_that_leaves_no_name_behind()
    {
        if (!OperatingSystem.IsLinux()) return;
        var temp = Path.Combine(_folder, "temp");
        Directory.CreateDirectory(temp);
        var value = Random.Shared.Next(1, 1_000_000);
        var key = Stored(value);
        var disk = Disk(memoryFile: false, tempFolder: temp);
        using var loaded = disk.TryLoad(_engine, key, "m");
        Assert.NotNull(loaded);
        Assert.Equal(PrivateCopyKind.UnlinkedTempFile, disk.LastCopy);
        Assert.Empty(Directory.GetFileSystemEntries(temp)); // unlinked while the module is still loaded
        Assert.Equal(value, Answer(loaded));
    }

    [Fact]
    public void Without_any_private_file_the_verified_bytes_are_loaded_from_memory()
    {
        var value = Random.Shared.Next(1, 1_000_000);
        var key = Stored(value);
        var disk = Disk(memoryFile: false, tempFolder: Path.Combine(_folder, "no-such-folder"));
        using var loaded = disk.TryLoad(_engine, key, "m");
        Assert.NotNull(loaded);
        Assert.Equal(PrivateCopyKind.Memory, disk.LastCopy);
        Assert.Equal(value, Answer(loaded));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_tampered_entry_is_a_miss_on_every_route_and_its_copy_is_dropped(bool memoryFile)
    {
        var temp = Path.Combine(_folder, "temp");
        Directory.CreateDirectory(temp);
        var key = Stored(Random.Shared.Next(1, 1_000_000));
        var path = Disk().PathFor(key);
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 0x01; // the payload's last byte: the copy is written in full before the MAC's verdict is known
        File.WriteAllBytes(path, bytes);
        var disk = Disk(memoryFile, temp);
        Assert.Null(disk.TryLoad(_engine, key, "m"));
        Assert.Equal(PrivateCopyKind.None, disk.LastCopy);
        Assert.Empty(Directory.GetFileSystemEntries(temp));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_entry_rewritten_in_place_after_the_load_does_not_change_the_loaded_code_on_either_file_route(bool memoryFile)
    {
        var value = Random.Shared.Next(1, 1_000_000);
        var victim = Stored(value);
        var other = Stored(value + 1_000_000);
        using var loaded = Disk(memoryFile).TryLoad(_engine, victim, "m");
        Assert.NotNull(loaded);
        using (var inPlace = new FileStream(Disk().PathFor(victim), FileMode.Open, FileAccess.Write))
        {
            var planted = File.ReadAllBytes(Disk().PathFor(other));
            inPlace.SetLength(0);
            inPlace.Write(planted);
        }
        Assert.Equal(value, Answer(loaded));
    }

    [Fact]
    public void An_entry_that_shrinks_between_its_length_check_and_its_read_is_a_miss()
    {
        var key = Stored(Random.Shared.Next(1, 1_000_000));
        var disk = Disk(beforeRead: path =>
        {
            using var entry = new FileStream(path, FileMode.Open, FileAccess.Write);
            entry.SetLength(entry.Length / 2);
        });
        Assert.Null(disk.TryLoad(_engine, key, "m"));
        Assert.Null(disk.TryLoadPayload(key));
    }

    [Fact]
    public void An_entry_replaced_in_place_by_another_modules_between_its_length_check_and_its_read_is_a_miss()
    {
        var victim = Stored(Random.Shared.Next(1, 1_000_000));
        var planted = File.ReadAllBytes(Disk().PathFor(Stored(Random.Shared.Next(1_000_000, 2_000_000))));
        var disk = Disk(beforeRead: path =>
        {
            // The same inode: the open descriptor reads the planted bytes (padded or cut to the length already checked).
            using var entry = new FileStream(path, FileMode.Open, FileAccess.Write);
            var length = entry.Length;
            entry.SetLength(0);
            entry.Write(planted);
            entry.SetLength(length);
        });
        Assert.Null(disk.TryLoad(_engine, victim, "m"));
        Assert.Equal(PrivateCopyKind.None, disk.LastCopy);
    }

    [Fact]
    public void An_entry_that_grows_while_it_is_read_is_read_only_to_the_length_checked()
    {
        var value = Random.Shared.Next(1, 1_000_000);
        var key = Stored(value);
        var disk = Disk(beforeRead: path =>
        {
            using var entry = new FileStream(path, FileMode.Append, FileAccess.Write);
            entry.Write(new byte[1 << 20]);
        });
        using var loaded = disk.TryLoad(_engine, key, "m");
        Assert.NotNull(loaded);
        Assert.Equal(value, Answer(loaded));
    }

    [Fact]
    public async Task A_FIFO_planted_as_an_entry_is_a_miss_and_does_not_block_the_load()
    {
        if (!OperatingSystem.IsLinux()) return;
        var key = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)) + ".wasm";
        var path = Disk().PathFor(key);
        Directory.CreateDirectory(CacheFolder);
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!)
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }
        // A plain open of a FIFO waits for a writer forever; the guard only keeps a regression from hanging the suite.
        var load = Task.Run(() => Disk().TryLoad(_engine, key, "m"));
        Assert.Null(await load.WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.Null(await Task.Run(() => Disk().TryLoadPayload(key)).WaitAsync(TimeSpan.FromSeconds(15)));
    }
}
