using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Wasmtime;
using Xunit;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>
/// The hint beside the compiled-module cache (which key the module at a path had) lets a start read and map the entry
/// while it hashes the module. A hint is never trusted: whatever it names, the module used is the one whose hash the
/// start computed itself, and a hostile hint costs at most one wasted read and copy, never a hang or a wrong module.
/// </summary>
public class DiskCacheHintTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "vyra-cache-hint", Guid.NewGuid().ToString("N"));
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly List<TempPlugin> _plugins = [];

    public DiskCacheHintTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        foreach (var plugin in _plugins) plugin.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private string CacheFolder => Path.Combine(_folder, "cache");

    private ModuleDiskCache Disk(Action<Module>? discarded = null) =>
        new(CacheFolder, WasmEngine.For(fuel: false).Fingerprint, _key) { SpeculationDiscarded = discarded };

    private PluginRuntimeOptions Options => new() { CacheDirectory = CacheFolder, CacheKey = _key };

    private static Engine NewEngine()
    {
        using var config = WasmEngine.NewConfig(fuel: false);
        return new Engine(config);
    }

    /// <summary>A plugin answering <paramref name="value"/> (six digits, so two values make modules of one size).</summary>
    private TempPlugin Plugin(int value, bool text = true)
    {
        // The second export keeps these modules apart from other tests' "answer" modules in the process-wide memory cache.
        var wat = $$"""(module (func (export "answer") (result i32) i32.const {{value}}) (func (export "hinted")))""";
        var plugin = text ? TempPlugin.FromWat(wat) : TempPlugin.FromBytes(Module.ConvertText(wat).ToArray());
        _plugins.Add(plugin);
        return plugin;
    }

    private static int UniqueValue() => Random.Shared.Next(100_000, 999_999);

    private static string KeyOf(TempPlugin plugin) => ModuleDiskCache.KeyOf(File.ReadAllBytes(plugin.ModulePath), plugin.ModulePath.EndsWith(".wat", StringComparison.Ordinal));

    /// <summary>What an earlier process left: the plugin's entry and its hint, written from a compile on an engine of its own.</summary>
    private string Cached(TempPlugin plugin, bool hint = true)
    {
        using var engine = NewEngine();
        using var module = plugin.ModulePath.EndsWith(".wat", StringComparison.Ordinal)
            ? Module.FromText(engine, "m", File.ReadAllText(plugin.ModulePath))
            : Module.FromBytes(engine, "m", File.ReadAllBytes(plugin.ModulePath));
        var key = KeyOf(plugin);
        Disk().Store(key, module);
        if (hint) Disk().WriteHint(plugin.ModulePath, FileStamp.Of(plugin.ModulePath), key);
        return key;
    }

    private static int Answer(Engine engine, Module module)
    {
        using var store = new Store(engine);
        store.SetEpochDeadline(ulong.MaxValue / 2);
        return new Linker(engine).Instantiate(store, module).GetFunction<int>("answer")!();
    }

    private static HintedLoad LoadBesideHash(ModuleDiskCache disk, Engine engine, TempPlugin plugin) =>
        disk.LoadBesideHash(engine, plugin.ModulePath, FileStamp.Of(plugin.ModulePath), File.ReadAllBytes(plugin.ModulePath), plugin.ModulePath.EndsWith(".wat", StringComparison.Ordinal));

    private static bool HintsWork => ModuleCacheHint.Supported;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_compile_writes_the_hint_and_a_fresh_process_finds_the_entry_through_it(bool text)
    {
        if (!HintsWork) return;
        var value = UniqueValue();
        var plugin = Plugin(value, text);
        await using (var runtime = new WasmRuntime("hinted", plugin.ModulePath, options: new PluginRuntimeOptions { CacheDirectory = CacheFolder, CacheKey = _key, AllowUndeclaredExports = true }))
        {
            await runtime.StartAsync();
            Assert.Equal(ModuleSource.Compiled, runtime.ModuleSource);
        }
        var hint = Assert.Single(Directory.GetFiles(CacheFolder, "*" + ModuleCacheHint.Extension));
        Assert.Equal(Disk().HintPathFor(plugin.ModulePath), hint);
        Assert.NotEqual(hint, new ModuleDiskCache(CacheFolder, WasmEngine.For(fuel: true).Fingerprint, _key).HintPathFor(plugin.ModulePath));
        if (OperatingSystem.IsLinux()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(hint));
        Assert.Equal((KeyOf(plugin), FileStamp.Of(plugin.ModulePath)), ModuleCacheHint.Parse(File.ReadAllBytes(hint)));

        // A new process: a fresh engine and cache object, nothing in memory.
        using var engine = NewEngine();
        var disk = Disk();
        var loaded = LoadBesideHash(disk, engine, plugin);
        using var module = loaded.Module;
        Assert.Equal(HintOutcome.Used, disk.LastHint);
        Assert.Equal(KeyOf(plugin), loaded.Key);
        Assert.NotNull(module);
        Assert.Equal(value, Answer(engine, module));
    }

    [Fact]
    public void A_hit_found_without_a_hint_writes_one_and_the_engine_serves_the_module_through_it()
    {
        if (!HintsWork) return;
        var value = UniqueValue();
        var plugin = Plugin(value);
        var key = Cached(plugin, hint: false);
        var engine = WasmEngine.For(fuel: false);
        var module = engine.LoadModule(plugin.ModulePath, Options, NullLogger.Instance, out var source);
        Assert.Equal(ModuleSource.DiskCache, source);
        Assert.Equal(value, Answer(engine.Engine, module));
        Assert.Equal((key, FileStamp.Of(plugin.ModulePath)), ModuleCacheHint.Parse(File.ReadAllBytes(Disk().HintPathFor(plugin.ModulePath))));
    }

    [Fact]
    public void The_engine_loads_through_a_hint_and_reports_the_modules_own_hash()
    {
        if (!HintsWork) return;
        var value = UniqueValue();
        var plugin = Plugin(value, text: false);
        var key = Cached(plugin);
        var engine = WasmEngine.For(fuel: false);
        var module = engine.LoadModule(plugin.ModulePath, Options, NullLogger.Instance, out var source, out var sha256);
        Assert.Equal(ModuleSource.DiskCache, source);
        Assert.Equal(key[..64], sha256);
        Assert.Equal(value, Answer(engine.Engine, module));
    }

    [Fact]
    public void A_planted_hint_naming_another_valid_entry_loads_the_right_module_and_the_speculative_one_is_disposed()
    {
        if (!HintsWork) return;
        var value = UniqueValue();
        var victim = Plugin(value);
        var other = Plugin(value == 999_999 ? 100_000 : value + 1);
        var victimKey = Cached(victim);
        var otherKey = Cached(other);
        // The victim's hint now names the other module's entry, with the victim's stamp: a valid entry, MAC and all.
        Disk().WriteHint(victim.ModulePath, FileStamp.Of(victim.ModulePath), otherKey);

        var discarded = new List<Module>();
        using var engine = NewEngine();
        var disk = Disk(discarded.Add);
        var loaded = LoadBesideHash(disk, engine, victim);
        Assert.Equal(HintOutcome.Discarded, disk.LastHint);
        Assert.Null(loaded.Module);
        Assert.Equal(victimKey, loaded.Key);
        var speculative = Assert.Single(discarded);
        Assert.Throws<ObjectDisposedException>(() => speculative.Serialize());

        // The engine's whole path: the planted hint is discarded, the victim's own entry is loaded, the hint rewritten.
        var shared = WasmEngine.For(fuel: false);
        var module = shared.LoadModule(victim.ModulePath, Options, NullLogger.Instance, out var source);
        Assert.Equal(ModuleSource.DiskCache, source);
        Assert.Equal(value, Answer(shared.Engine, module));
        Assert.Equal(victimKey, ModuleCacheHint.Parse(File.ReadAllBytes(Disk().HintPathFor(victim.ModulePath)))?.Key);
    }

    [Fact]
    public void A_module_edited_in_place_to_the_same_size_and_write_time_is_not_served_from_its_stale_hint()
    {
        if (!HintsWork) return;
        var plugin = Plugin(111_111);
        Cached(plugin);
        var before = FileStamp.Of(plugin.ModulePath);
        var edited = Encoding.UTF8.GetBytes(File.ReadAllText(plugin.ModulePath).Replace("111111", "222222"));
        using (var inPlace = new FileStream(plugin.ModulePath, FileMode.Open, FileAccess.Write))
        {
            inPlace.Write(edited); // same inode, same length
        }
        File.SetLastWriteTimeUtc(plugin.ModulePath, before.LastWriteUtc);
        Assert.Equal(before, FileStamp.Of(plugin.ModulePath)); // the hint's stamp filter cannot tell

        var discarded = new List<Module>();
        using var engine = NewEngine();
        var disk = Disk(discarded.Add);
        Assert.Null(LoadBesideHash(disk, engine, plugin).Module);
        Assert.Equal(HintOutcome.Discarded, disk.LastHint);
        Assert.Single(discarded);

        var shared = WasmEngine.For(fuel: false);
        var module = shared.LoadModule(plugin.ModulePath, Options, NullLogger.Instance, out var source);
        Assert.Equal(ModuleSource.Compiled, source);
        Assert.Equal(222_222, Answer(shared.Engine, module));
    }

    [Fact]
    public void A_hint_stamped_for_another_version_of_the_file_is_not_followed()
    {
        if (!HintsWork) return;
        var plugin = Plugin(UniqueValue());
        var key = Cached(plugin);
        var stamp = FileStamp.Of(plugin.ModulePath);
        Disk().WriteHint(plugin.ModulePath, stamp with { LastWriteUtc = stamp.LastWriteUtc.AddSeconds(-1) }, key);
        using var engine = NewEngine();
        var disk = Disk();
        var loaded = LoadBesideHash(disk, engine, plugin);
        Assert.Equal(HintOutcome.None, disk.LastHint);
        Assert.Null(loaded.Module);
        Assert.Equal(key, loaded.Key);
    }

    [Fact]
    public void A_hint_naming_a_key_with_no_entry_costs_nothing_but_the_sequential_path()
    {
        if (!HintsWork) return;
        var value = UniqueValue();
        var plugin = Plugin(value);
        var key = Cached(plugin);
        var nowhere = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)) + ".wat";
        Disk().WriteHint(plugin.ModulePath, FileStamp.Of(plugin.ModulePath), nowhere);
        using var engine = NewEngine();
        var disk = Disk();
        var loaded = LoadBesideHash(disk, engine, plugin);
        Assert.Equal(HintOutcome.Refused, disk.LastHint);
        Assert.Equal(key, loaded.Key);
        Assert.False(loaded.EntryRefused); // the module's own entry was not the one tried: the caller still reads it

        var shared = WasmEngine.For(fuel: false);
        var module = shared.LoadModule(plugin.ModulePath, Options, NullLogger.Instance, out var source);
        Assert.Equal(ModuleSource.DiskCache, source);
        Assert.Equal(value, Answer(shared.Engine, module));
    }

    [Fact]
    public void A_hint_naming_the_right_key_whose_entry_was_tampered_with_is_a_compile_without_a_second_read()
    {
        if (!HintsWork) return;
        var value = UniqueValue();
        var plugin = Plugin(value);
        var key = Cached(plugin);
        var entry = Disk().PathFor(key);
        var bytes = File.ReadAllBytes(entry);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(entry, bytes);
        using var engine = NewEngine();
        var disk = Disk();
        var loaded = LoadBesideHash(disk, engine, plugin);
        Assert.Equal(HintOutcome.Refused, disk.LastHint);
        Assert.True(loaded.EntryRefused);

        var shared = WasmEngine.For(fuel: false);
        var module = shared.LoadModule(plugin.ModulePath, Options, NullLogger.Instance, out var source);
        Assert.Equal(ModuleSource.Compiled, source);
        Assert.Equal(value, Answer(shared.Engine, module));
    }

    public static TheoryData<string> GarbledHints => new()
    {
        "",
        "vyra-module-hint 1\n",
        "vyra-module-hint 2\n{key}\n{stamp}\n",
        "vyra-module-hint 1\n{key}\n{stamp}", // no final newline
        "vyra-module-hint 1\n{key}\n{stamp}\n\n",
        "vyra-module-hint 1\r\n{key}\r\n{stamp}\r\n",
        "vyra-module-hint 1\n{lower}\n{stamp}\n",
        "vyra-module-hint 1\n../../../etc/passwd\n{stamp}\n",
        "vyra-module-hint 1\n{hex}/../x.wat\n{stamp}\n",
        "vyra-module-hint 1\n{hex}.wasm.wat\n{stamp}\n",
        "vyra-module-hint 1\n{key}\n{stamp} 7\n",
        "vyra-module-hint 1\n{key}\n-1 {stamp}\n",
        "vyra-module-hint 1\n{key}\n+{stamp}\n",
        "vyra-module-hint 1\n{key}\n{stamp}0000000000000000000000\n",
        "vyra-module-hint 1\n{key}\n{stamp}\u00e9\n",
        "vyra-module-hint 1\n{key}\n{stamp}\0\n",
    };

    [Theory]
    [MemberData(nameof(GarbledHints))]
    public void A_garbled_hint_is_no_hint(string template)
    {
        if (!HintsWork) return;
        var plugin = Plugin(UniqueValue());
        var key = Cached(plugin);
        var stamp = FileStamp.Of(plugin.ModulePath);
        var text = template.Replace("{key}", key).Replace("{lower}", key.ToLowerInvariant()).Replace("{hex}", key[..64])
            .Replace("{stamp}", $"{stamp.Device} {stamp.Inode} {stamp.Length} {stamp.LastWriteUtc.Ticks}");
        File.WriteAllBytes(Disk().HintPathFor(plugin.ModulePath), Encoding.UTF8.GetBytes(text));
        Assert.Null(ModuleCacheHint.Parse(Encoding.UTF8.GetBytes(text)));
        using var engine = NewEngine();
        var disk = Disk();
        var loaded = LoadBesideHash(disk, engine, plugin);
        Assert.Equal(HintOutcome.None, disk.LastHint);
        Assert.Equal(key, loaded.Key);
        Assert.Null(loaded.Module);
    }

    [Fact]
    public void A_huge_hint_is_not_read()
    {
        if (!HintsWork) return;
        var plugin = Plugin(UniqueValue());
        var key = Cached(plugin);
        var hint = Disk().HintPathFor(plugin.ModulePath);
        var valid = File.ReadAllBytes(hint);
        using (var huge = new FileStream(hint, FileMode.Append, FileAccess.Write)) huge.Write(new byte[4 << 20]);
        Assert.True(valid.Length <= ModuleCacheHint.MaxBytes);
        using var engine = NewEngine();
        var disk = Disk();
        Assert.Equal(key, LoadBesideHash(disk, engine, plugin).Key);
        Assert.Equal(HintOutcome.None, disk.LastHint);
    }

    [Fact]
    public void A_hint_that_is_a_link_is_not_followed_even_to_a_valid_hint()
    {
        if (!HintsWork) return;
        var plugin = Plugin(UniqueValue());
        Cached(plugin);
        var hint = Disk().HintPathFor(plugin.ModulePath);
        var elsewhere = Path.Combine(_folder, "valid-hint");
        File.Move(hint, elsewhere);
        File.CreateSymbolicLink(hint, elsewhere);
        using var engine = NewEngine();
        var disk = Disk();
        Assert.Null(LoadBesideHash(disk, engine, plugin).Module);
        Assert.Equal(HintOutcome.None, disk.LastHint);
    }

    [Fact]
    public async Task A_FIFO_planted_as_a_hint_is_no_hint_and_does_not_block_the_load()
    {
        if (!HintsWork) return;
        var value = UniqueValue();
        var plugin = Plugin(value);
        var key = Cached(plugin, hint: false);
        var hint = Disk().HintPathFor(plugin.ModulePath);
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [hint]) { UseShellExecute = false })!)
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }
        // A plain open of a FIFO waits for a writer forever; the guard only keeps a regression from hanging the suite.
        var disk = Disk();
        using var engine = NewEngine();
        var loaded = await Task.Run(() => LoadBesideHash(disk, engine, plugin)).WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(HintOutcome.None, disk.LastHint);
        Assert.Equal(key, loaded.Key);

        var shared = WasmEngine.For(fuel: false);
        var module = await Task.Run(() => shared.LoadModule(plugin.ModulePath, Options, NullLogger.Instance, out ModuleSource _)).WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(value, Answer(shared.Engine, module));
    }

    [Fact]
    public async Task Concurrent_starts_of_one_module_through_its_hint_share_one_module()
    {
        if (!HintsWork) return;
        var value = UniqueValue();
        var plugin = Plugin(value);
        Cached(plugin);
        var shared = WasmEngine.For(fuel: false);
        var modules = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => shared.LoadModule(plugin.ModulePath, Options, NullLogger.Instance, out ModuleSource _))));
        Assert.All(modules, m => Assert.Same(modules[0], m));
        Assert.Equal(value, Answer(shared.Engine, modules[0]));
    }

    [Fact]
    public async Task Hints_rewritten_while_they_are_read_are_either_whole_or_absent()
    {
        if (!HintsWork) return;
        var plugin = Plugin(UniqueValue());
        var key = Cached(plugin);
        var stamp = FileStamp.Of(plugin.ModulePath);
        var hint = Disk().HintPathFor(plugin.ModulePath);
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested) ModuleCacheHint.Write(hint, key, stamp);
        })).ToArray();
        for (var i = 0; i < 500; i++)
        {
            var read = ModuleCacheHint.Read(hint, stamp);
            Assert.True(read is null || read == key);
        }
        stop.Cancel();
        await Task.WhenAll(writers);
        Assert.Equal(key, ModuleCacheHint.Read(hint, stamp));
        Assert.Empty(Directory.GetFiles(CacheFolder, "*.tmp"));
    }

    [Fact]
    public async Task Loads_through_the_hint_while_a_compile_rewrites_the_entry_and_hint_get_the_right_module_or_a_miss()
    {
        if (!HintsWork) return;
        var value = UniqueValue();
        var plugin = Plugin(value);
        var key = Cached(plugin);
        var stamp = FileStamp.Of(plugin.ModulePath);
        using var engine = NewEngine();
        using var compiled = Module.FromText(engine, "m", File.ReadAllText(plugin.ModulePath));
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Disk().Store(key, compiled); // a new nonce and tag each time, renamed over the entry
                Disk().WriteHint(plugin.ModulePath, stamp, key);
            }
        });
        var outcomes = new List<HintOutcome>();
        for (var i = 0; i < 20; i++)
        {
            var disk = Disk();
            var loaded = LoadBesideHash(disk, engine, plugin);
            using var module = loaded.Module;
            outcomes.Add(disk.LastHint);
            Assert.Equal(key, loaded.Key);
            if (module is not null) Assert.Equal(value, Answer(engine, module));
        }
        stop.Cancel();
        await writer;
        Assert.All(outcomes, o => Assert.True(o is HintOutcome.Used or HintOutcome.None, o.ToString()));
        Assert.Contains(HintOutcome.Used, outcomes);
    }
}
