using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Performance;

/// <summary>The compiled-module cache: in memory by content hash, on disk across processes, never an error.</summary>
public class ModuleCacheTests : IDisposable
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "vyra-cache-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_cache)) Directory.Delete(_cache, recursive: true);
    }

    internal static readonly byte[] Key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    internal static ModuleDiskCache DiskCache(string folder, bool fuel) => new(folder, WasmEngine.For(fuel).Fingerprint, Key);

    private static Wasmtime.Engine NewEngine(bool fuel = false)
    {
        using var config = WasmEngine.NewConfig(fuel);
        return new Wasmtime.Engine(config);
    }

    // A module no other test uses, so the process-wide memory cache starts cold for it.
    private static TempPlugin UniquePlugin() =>
        TempPlugin.FromWat($$"""(module (func (export "answer") (result i32) i32.const {{Random.Shared.Next(1, int.MaxValue)}}))""");

    private async Task<WasmRuntime> Start(string path, string? cacheDirectory = null, ulong? fuel = null)
    {
        var runtime = new WasmRuntime("cached", path, options: new PluginRuntimeOptions { CacheDirectory = cacheDirectory ?? _cache, CacheKey = Key, Fuel = fuel, AllowUndeclaredExports = true });
        await runtime.StartAsync();
        return runtime;
    }

    [Fact]
    public async Task A_second_runtime_in_the_process_reuses_the_compiled_module()
    {
        using var plugin = UniquePlugin();
        await using var first = await Start(plugin.ModulePath, cacheDirectory: null!);
        await using var second = await Start(plugin.ModulePath);
        Assert.Equal(ModuleSource.MemoryCache, second.ModuleSource);
    }

    [Fact]
    public async Task A_module_nothing_uses_any_more_is_freed()
    {
        using var plugin = UniquePlugin();
        await StartAndDispose(plugin.ModulePath);
        // Freed once nothing refers to it: a collection may still find it reachable from work the stop left running on
        // a busy machine (seen once in a loaded full run), so look again a few times; a cache that kept modules alive
        // would answer MemoryCache every time.
        var sources = new List<ModuleSource>();
        for (var round = 0; round < 10 && !sources.Contains(ModuleSource.Compiled); round++)
        {
            sources.Add(await StartAfterCollecting(plugin.ModulePath));
        }
        Assert.Contains(ModuleSource.Compiled, sources);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task<ModuleSource> StartAfterCollecting(string path)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        await using var again = new WasmRuntime("cached", path);
        await again.StartAsync();
        return again.ModuleSource;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task StartAndDispose(string path)
    {
        await using var runtime = new WasmRuntime("cached", path);
        await runtime.StartAsync();
        await runtime.StopAsync();
        await runtime.StartAsync(); // a restart reuses the module the runtime holds
        Assert.Equal(ModuleSource.MemoryCache, runtime.ModuleSource);
    }

    [Fact]
    public async Task A_compiled_module_is_written_to_disk_and_a_fresh_engine_reads_it_back()
    {
        using var plugin = UniquePlugin();
        await using (var first = await Start(plugin.ModulePath))
        {
            Assert.Equal(ModuleSource.Compiled, first.ModuleSource);
        }
        var entry = Assert.Single(Directory.GetFiles(_cache, "*.vyramod"));
        // The memory cache answers first within this process; what a new process sees is a fresh engine reading the entry.
        var disk = DiskCache(_cache, false);
        Assert.Equal(entry, disk.PathFor(ModuleKey(plugin)));
        using var engine = NewEngine();
        using var module = disk.TryLoad(engine, ModuleKey(plugin), "m");
        Assert.NotNull(module);
        using var store = new Wasmtime.Store(engine);
        store.SetEpochDeadline(ulong.MaxValue / 2);
        var instance = new Wasmtime.Linker(engine).Instantiate(store, module);
        Assert.True(instance.GetFunction<int>("answer")!() > 0);
    }

    [Fact]
    public async Task Corrupt_and_truncated_entries_are_misses_that_get_rewritten()
    {
        using var plugin = UniquePlugin();
        var disk = DiskCache(_cache, false);
        var engine = NewEngine();
        await using (await Start(plugin.ModulePath)) { }
        var path = disk.PathFor(ModuleKey(plugin));
        var good = File.ReadAllBytes(path);
        Assert.NotNull(disk.TryLoad(engine, ModuleKey(plugin), "m"));

        var corrupt = (byte[])good.Clone();
        corrupt[^10] ^= 0xFF;
        File.WriteAllBytes(path, corrupt);
        Assert.Null(disk.TryLoad(engine, ModuleKey(plugin), "m"));

        File.WriteAllBytes(path, good[..(good.Length / 2)]);
        Assert.Null(disk.TryLoad(engine, ModuleKey(plugin), "m"));

        File.WriteAllBytes(path, []);
        Assert.Null(disk.TryLoad(engine, ModuleKey(plugin), "m"));
    }

    [Fact]
    public async Task An_entry_from_another_engine_configuration_is_never_loaded()
    {
        using var plugin = UniquePlugin();
        await using (await Start(plugin.ModulePath, fuel: 1_000_000)) { }
        var metered = DiskCache(_cache, true);
        var unmetered = DiskCache(_cache, false);
        Assert.NotEqual(metered.PathFor(ModuleKey(plugin)), unmetered.PathFor(ModuleKey(plugin)));
        // Even a file copied under the other configuration's name is refused (its MAC binds the engine fingerprint) and counts as a miss.
        File.Copy(metered.PathFor(ModuleKey(plugin)), unmetered.PathFor(ModuleKey(plugin)));
        var engine = NewEngine();
        Assert.Null(unmetered.TryLoad(engine, ModuleKey(plugin), "m"));
    }

    [Fact]
    public async Task Concurrent_writers_of_one_entry_leave_a_loadable_file()
    {
        using var plugin = UniquePlugin();
        await using (await Start(plugin.ModulePath)) { }
        var engine = NewEngine();
        using var module = Wasmtime.Module.FromText(engine, "m", File.ReadAllText(plugin.ModulePath));
        var disk = DiskCache(_cache, false);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => disk.Store(ModuleKey(plugin), module))));
        Assert.NotNull(disk.TryLoad(engine, ModuleKey(plugin), "m"));
        Assert.Empty(Directory.GetFiles(_cache, "*.tmp"));
    }

    [Fact]
    public async Task An_unwritable_cache_folder_is_not_an_error()
    {
        using var plugin = UniquePlugin();
        var blocker = Path.Combine(_cache, "file-not-folder");
        Directory.CreateDirectory(_cache);
        File.WriteAllText(blocker, "x");
        await using var runtime = await Start(plugin.ModulePath, cacheDirectory: blocker);
        Assert.True(runtime.IsRunning);
    }

    private static string ModuleKey(TempPlugin plugin) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(plugin.ModulePath))) + ".wat";
}
