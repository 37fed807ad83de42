using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>
/// The compiled-module cache runs machine code nobody validates, so it trusts no entry this host did not write for this
/// exact module, and no folder others can write.
/// </summary>
public class DiskCacheTrustTests : IDisposable
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "vyra-cache-trust", Guid.NewGuid().ToString("N"));
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public void Dispose()
    {
        if (Directory.Exists(_cache)) Directory.Delete(_cache, recursive: true);
    }

    // A module that answers a value no other test's module answers, so the process-wide memory cache starts cold.
    private static TempPlugin Answering(int value) => TempPlugin.FromWat($$"""(module (func (export "answer") (result i32) i32.const {{value}}))""",
        """{ "id": "cached", "version": "1.0.0", "exports": [{ "name": "answer", "args": [], "returns": "i32" }] }""");

    private PluginRuntimeOptions Options(string? folder = null, byte[]? key = null, ILoggerFactory? logs = null) =>
        new() { CacheDirectory = folder ?? _cache, CacheKey = key ?? _key, LoggerFactory = logs };

    private static string ModuleKey(TempPlugin plugin) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(plugin.ModulePath))) + ".wat";

    private ModuleDiskCache Disk(byte[]? key = null) => new(_cache, WasmEngine.For(fuel: false).Fingerprint, key ?? _key);

    /// <summary>Starts a runtime, returns where its module came from and what it answered, and lets the module be collected.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<(ModuleSource Source, int Answer)> RunOnce(TempPlugin plugin, PluginRuntimeOptions options)
    {
        await using var runtime = new WasmRuntime("cached", plugin.ModulePath, options: options);
        await runtime.StartAsync();
        var answer = (int)(await runtime.CallAsync("answer"))["result"]!;
        return (runtime.ModuleSource, answer);
    }

    /// <summary>Drops the process's compiled copies, so the next start must go to disk, as a new process would.</summary>
    private static void ForgetCompiledModules()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [Fact]
    public async Task Another_modules_entry_copied_over_the_victims_is_a_miss_and_the_victim_runs_its_own_code()
    {
        var victimValue = Random.Shared.Next(1, 1_000_000);
        using var victim = Answering(victimValue);
        using var other = Answering(victimValue + 1_000_000);
        Assert.Equal(ModuleSource.Compiled, (await RunOnce(victim, Options())).Source);
        Assert.Equal(ModuleSource.Compiled, (await RunOnce(other, Options())).Source);

        var disk = Disk();
        File.Copy(disk.PathFor(ModuleKey(other)), disk.PathFor(ModuleKey(victim)), overwrite: true);
        Assert.Null(disk.TryLoad(WasmEngine.For(fuel: false).Engine, ModuleKey(victim), "m"));
        ForgetCompiledModules();

        var (source, answer) = await RunOnce(victim, Options());
        Assert.NotEqual(ModuleSource.DiskCache, source); // the planted entry was refused: compiled again (or still in memory)
        Assert.Equal(victimValue, answer);
        if (source != ModuleSource.Compiled) return; // the process still held the victim's module: nothing was rewritten

        // The entry was rewritten honestly: a fresh load from disk (what the next process does) runs the victim's code.
        using var reloaded = disk.TryLoad(WasmEngine.For(fuel: false).Engine, ModuleKey(victim), "m");
        Assert.NotNull(reloaded);
        using var store = new Wasmtime.Store(WasmEngine.For(fuel: false).Engine);
        store.SetEpochDeadline(ulong.MaxValue / 2);
        var instance = new Wasmtime.Linker(WasmEngine.For(fuel: false).Engine).Instantiate(store, reloaded);
        Assert.Equal(victimValue, instance.GetFunction<int>("answer")!());
    }

    [Fact]
    public async Task Tampered_entries_and_entries_written_with_another_key_are_misses()
    {
        using var plugin = Answering(Random.Shared.Next(1, 1_000_000));
        await RunOnce(plugin, Options());
        var disk = Disk();
        var path = disk.PathFor(ModuleKey(plugin));
        var good = File.ReadAllBytes(path);
        var engine = WasmEngine.For(fuel: false).Engine;
        using (var loaded = disk.TryLoad(engine, ModuleKey(plugin), "m")) Assert.NotNull(loaded);

        foreach (var at in new[] { 0, 7, 8, 20, 35, 36, 39, 40, good.Length / 2, good.Length - 1 }) // the magic, the nonce and MAC, then the payload
        {
            var tampered = (byte[])good.Clone();
            tampered[at] ^= 0x01;
            File.WriteAllBytes(path, tampered);
            Assert.Null(disk.TryLoad(engine, ModuleKey(plugin), "m"));
        }

        File.WriteAllBytes(path, good);
        Assert.Null(Disk(RandomNumberGenerator.GetBytes(32)).TryLoad(engine, ModuleKey(plugin), "m"));
        // The same entry under another module's name: the MAC binds the module's sha256.
        Assert.Null(disk.TryLoad(engine, "00" + ModuleKey(plugin)[2..], "m"));
    }

    [Fact]
    public async Task An_entry_rewritten_in_place_after_it_was_verified_does_not_change_the_loaded_code()
    {
        var value = Random.Shared.Next(1, 1_000_000);
        using var victim = Answering(value);
        using var other = Answering(value + 1_000_000);
        await RunOnce(victim, Options());
        await RunOnce(other, Options());
        var disk = Disk();
        var engine = WasmEngine.For(fuel: false).Engine;
        var path = disk.PathFor(ModuleKey(victim));
        using var loaded = disk.TryLoad(engine, ModuleKey(victim), "m");
        Assert.NotNull(loaded);

        // The same file (same inode) rewritten with other code, as a folder's owner could do while the module is mapped.
        using (var inPlace = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            var planted = File.ReadAllBytes(disk.PathFor(ModuleKey(other)));
            inPlace.SetLength(0);
            inPlace.Write(planted);
        }
        using var store = new Wasmtime.Store(engine);
        store.SetEpochDeadline(ulong.MaxValue / 2);
        var instance = new Wasmtime.Linker(engine).Instantiate(store, loaded);
        Assert.Equal(value, instance.GetFunction<int>("answer")!()); // what was verified is what runs
    }

    [Theory]
    [InlineData(UnixFileMode.OtherWrite)]
    [InlineData(UnixFileMode.OtherWrite | UnixFileMode.StickyBit)] // like /tmp: still everyone's
    public async Task A_world_writable_folder_is_not_used_and_a_warning_is_logged_once(UnixFileMode extra)
    {
        if (OperatingSystem.IsWindows()) return;
        var folder = Path.Combine(_cache, "shared");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute | extra);
        using var plugin = Answering(Random.Shared.Next(1, 1_000_000));
        using var other = Answering(Random.Shared.Next(1_000_000, 2_000_000));
        var logs = new ListLoggerFactory();

        Assert.Equal(ModuleSource.Compiled, (await RunOnce(plugin, Options(folder, logs: logs))).Source);
        Assert.Equal(ModuleSource.Compiled, (await RunOnce(other, Options(folder, logs: logs))).Source);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
        var warning = Assert.Single(logs.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains(folder));
        Assert.Contains("writable by everyone", warning.Message);
    }

    [Fact]
    public async Task A_group_writable_folder_is_used_the_hmac_guards_it()
    {
        if (OperatingSystem.IsWindows()) return;
        var folder = Path.Combine(_cache, "group");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute);
        using var plugin = Answering(Random.Shared.Next(1, 1_000_000));
        await RunOnce(plugin, Options(folder));
        Assert.Single(Directory.GetFiles(folder, "*.vyramod"));
    }

    [Fact]
    public async Task The_cache_folder_and_its_entries_are_created_private()
    {
        if (OperatingSystem.IsWindows()) return;
        using var plugin = Answering(Random.Shared.Next(1, 1_000_000));
        await RunOnce(plugin, Options());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_cache));
        var entry = Assert.Single(Directory.GetFiles(_cache, "*.vyramod"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(entry));
    }

    [Fact]
    public void The_per_user_key_file_is_created_0600_reused_and_refused_when_others_can_read_it()
    {
        if (OperatingSystem.IsWindows()) return;
        var path = Path.Combine(_cache, "keys", "module-cache.key");
        var (first, problem) = ModuleCacheKey.LoadOrCreate(path);
        Assert.Null(problem);
        Assert.Equal(32, first!.Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(first, ModuleCacheKey.LoadOrCreate(path).Key);

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var (refused, why) = ModuleCacheKey.LoadOrCreate(path);
        Assert.Null(refused);
        Assert.Contains("0600", why);

        File.WriteAllBytes(path, [1, 2, 3]);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Null(ModuleCacheKey.LoadOrCreate(path).Key); // too short to be a key
    }

    [Fact]
    public void A_cache_folder_holding_the_per_user_key_file_is_refused()
    {
        var keyFolder = Path.GetDirectoryName(ModuleCacheKey.DefaultPath())!;
        Assert.Null(ModuleCacheKey.For(new PluginRuntimeOptions(), keyFolder, out var problem));
        Assert.Contains("inside the cache folder", problem);
    }
}
