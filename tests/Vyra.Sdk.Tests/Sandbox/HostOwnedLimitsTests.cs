using Vyra.Sdk;
using Xunit;
using static Vyra.Sdk.Tests.Sandbox.SandboxChecks;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>
/// The host's options are ceilings a manifest can only tighten, and the memory ceiling covers the whole store: more
/// memories, 64-bit or shared memories, and huge tables are refused or capped.
/// </summary>
public class HostOwnedLimitsTests
{
    private const string SpinWat = """
        (module
          (func (export "spin") (loop $forever (br $forever))))
        """;

    private static readonly string SpinManifest = TestPlugin.Manifest(exports: """[{ "name": "spin", "args": [] }]""",
        limits: """{ "timeout_ms": 1000000000000, "memory_mb": 65536 }""");

    [Fact]
    public async Task A_manifest_asking_for_a_huge_timeout_gets_the_hosts_ceiling()
    {
        using var plugin = TestPlugin.FromWat(SpinWat, SpinManifest);
        var ceiling = TimeSpan.FromMilliseconds(300);
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { Timeout = ceiling });
        await runtime.StartAsync();

        await FailsWithin(PluginErrorKind.Timeout, ceiling + TimeSpan.FromSeconds(3), async () => await runtime.CallAsync("spin"));
        await AssertHostHealthy();
    }

    [Fact]
    public void Under_default_options_a_greedy_manifest_gets_the_default_ceilings()
    {
        var limits = EffectiveLimits.Resolve(new PluginRuntimeOptions(), new RuntimeLimits(MemoryMb: 65536, TimeoutMs: 1_000_000_000_000, Fuel: ulong.MaxValue));
        Assert.Equal(PluginRuntimeOptions.DefaultTimeout, limits.Timeout);
        Assert.Equal(PluginRuntimeOptions.DefaultMemoryLimitBytes, limits.MemoryBytes);
        Assert.Equal(ulong.MaxValue, limits.Fuel); // no fuel ceiling was set: the manifest's own budget meters it
    }

    [Fact]
    public void A_manifest_may_tighten_every_limit_but_raise_none()
    {
        var options = new PluginRuntimeOptions { Timeout = TimeSpan.FromSeconds(2), MemoryLimitBytes = 32L << 20, Fuel = 1_000_000 };
        var tighter = EffectiveLimits.Resolve(options, new RuntimeLimits(MemoryMb: 4, TimeoutMs: 150, Fuel: 10));
        Assert.Equal(TimeSpan.FromMilliseconds(150), tighter.Timeout);
        Assert.Equal(4L << 20, tighter.MemoryBytes);
        Assert.Equal(10UL, tighter.Fuel);

        var looser = EffectiveLimits.Resolve(options, new RuntimeLimits(MemoryMb: 64, TimeoutMs: 60_000, Fuel: 5_000_000));
        Assert.Equal(TimeSpan.FromSeconds(2), looser.Timeout);
        Assert.Equal(32L << 20, looser.MemoryBytes);
        Assert.Equal(1_000_000UL, looser.Fuel);

        // Nonsense in the manifest tightens nothing (and never overflows).
        var nonsense = EffectiveLimits.Resolve(options, new RuntimeLimits(MemoryMb: long.MaxValue, TimeoutMs: -5, Fuel: 0));
        Assert.Equal(TimeSpan.FromSeconds(2), nonsense.Timeout);
        Assert.Equal(32L << 20, nonsense.MemoryBytes);
        Assert.Equal(1_000_000UL, nonsense.Fuel);
    }

    [Fact]
    public void The_explicit_infinite_timeout_lets_only_the_manifest_bound_a_call()
    {
        var options = new PluginRuntimeOptions { Timeout = Timeout.InfiniteTimeSpan };
        Assert.Equal(Timeout.InfiniteTimeSpan, EffectiveLimits.Resolve(options, null).Timeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), EffectiveLimits.Resolve(options, new RuntimeLimits(TimeoutMs: 500)).Timeout);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)] // -1 ms is Timeout.InfiniteTimeSpan, the documented opt-out
    [InlineData(-5000)]
    public void A_zero_or_negative_timeout_is_refused_naming_the_option(int milliseconds)
    {
        using var plugin = TestPlugin.FromWat(SpinWat, SpinManifest);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            plugin.Create(options: new PluginRuntimeOptions { Timeout = TimeSpan.FromMilliseconds(milliseconds) }));
        Assert.Contains("Timeout", ex.Message);
        Assert.Contains("InfiniteTimeSpan", ex.Message);
    }

    [Fact]
    public void Other_impossible_options_are_refused()
    {
        using var plugin = TestPlugin.FromWat(SpinWat, SpinManifest);
        Assert.Throws<ArgumentOutOfRangeException>(() => plugin.Create(options: new PluginRuntimeOptions { MemoryLimitBytes = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => plugin.Create(options: new PluginRuntimeOptions { MaxMemoryValueBytes = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => plugin.Create(options: new PluginRuntimeOptions { CacheKey = new byte[8] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => plugin.Create(options: new PluginRuntimeOptions { ModuleLimits = new ModuleLimits { MaxModuleBytes = 0 } }));
    }

    [Theory]
    [InlineData("two memories", "(module (memory 1) (memory 1))")]
    [InlineData("forty memories", null)]
    [InlineData("a 64-bit memory", "(module (memory i64 1))")]
    [InlineData("a shared memory", "(module (memory 1 1 shared))")]
    public async Task Modules_using_memory_proposals_plugins_must_not_use_are_refused_at_start(string what, string? wat)
    {
        wat ??= "(module " + string.Concat(Enumerable.Repeat("(memory 1) ", 40)) + ")";
        // The text parser accepts them; the engine's configuration refuses them when compiling.
        using var plugin = TestPlugin.FromWat(wat, TestPlugin.Manifest(exports: "[]"));
        await using var runtime = plugin.Create();
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.True(ex.Message.Contains(plugin.ModulePath), $"{what}: {ex.Message}");
        Assert.False(runtime.IsRunning);
    }

    private const string TableWat = """
        (module
          (table $t 1 funcref)
          (func (export "grow") (param $n i32) (result i32) (table.grow $t (ref.null func) (local.get $n)))
          (func (export "size") (result i32) (table.size $t)))
        """;

    private static readonly string TableManifest = TestPlugin.Manifest(exports: """
        [{ "name": "grow", "args": [{ "name": "n", "type": "i32" }], "returns": "i32" },
         { "name": "size", "args": [], "returns": "i32" }]
        """);

    [Fact]
    public async Task Table_grow_by_a_hundred_million_fails_inside_the_guest()
    {
        using var plugin = TestPlugin.FromWat(TableWat, TableManifest);
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        Assert.Equal(-1, await CallInt(runtime, "grow", Args(("n", 100_000_000))));
        Assert.Equal(1, await CallInt(runtime, "size"));
        // Growth within the ceiling still works, and the ceiling is the options'.
        Assert.Equal(1, await CallInt(runtime, "grow", Args(("n", 1000))));
        Assert.Equal(1001, await CallInt(runtime, "size"));
    }

    [Fact]
    public async Task Table_elements_follow_the_hosts_option()
    {
        using var plugin = TestPlugin.FromWat(TableWat, TableManifest);
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { MaxTableElements = 10 });
        await runtime.StartAsync();
        Assert.Equal(-1, await CallInt(runtime, "grow", Args(("n", 10))));
        Assert.Equal(1, await CallInt(runtime, "grow", Args(("n", 9))));
    }

    [Fact]
    public async Task A_table_declared_beyond_the_ceiling_fails_the_start()
    {
        using var plugin = TestPlugin.FromWat("(module (table 200000 funcref))", TestPlugin.Manifest(exports: "[]"));
        await using var runtime = plugin.Create();
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains("instantiation failed", ex.Message);
    }

    [Fact]
    public async Task The_memory_ceiling_holds_under_a_manifest_asking_for_64_GiB()
    {
        const string wat = """
            (module
              (memory 1)
              (func (export "grow") (param $pages i32) (result i32) (memory.grow (local.get $pages))))
            """;
        using var plugin = TestPlugin.FromWat(wat, TestPlugin.Manifest(
            exports: """[{ "name": "grow", "args": [{ "name": "pages", "type": "i32" }], "returns": "i32" }]""",
            limits: """{ "memory_mb": 65536 }"""));
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { MemoryLimitBytes = 2 * 1024 * 1024 });
        await runtime.StartAsync();
        Assert.Equal(-1, await CallInt(runtime, "grow", Args(("pages", 64)))); // 4 MiB more than the 2 MiB ceiling
        Assert.Equal(1, await CallInt(runtime, "grow", Args(("pages", 31))));
    }
}
