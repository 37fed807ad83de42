using System.Runtime.CompilerServices;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Performance;

/// <summary>
/// A start reuses the preparation (contract check, linker, ABI facts) of an earlier start of the same module, manifest,
/// host import signatures and WASI grant, and never one made for other inputs: a start under other inputs fails or
/// succeeds exactly as it would with nothing cached, and a runtime's host functions are its own.
/// </summary>
public class StartPreparationTests
{
    // Every test builds a module no other test has (a unique constant), so the process-wide caches start cold for it.
    private static string Wat(int unique) => $$"""
        (module
          (import "vyra" "host_twice" (func $twice (param i32) (result i32)))
          (func (export "answer") (param i32) (result i32) (i32.add (call $twice (local.get 0)) (i32.const {{unique}}))))
        """;

    private const string Manifest = """{ "id": "prep", "version": "1.0.0", "exports": [{ "name": "answer", "args": [{ "name": "x", "type": "i32" }], "returns": "i32" }] }""";

    private static int Unique() => Random.Shared.Next(1, 1_000_000);

    /// <summary>A host whose <c>host_twice</c> multiplies by <paramref name="factor"/> (or has another signature, or is missing).</summary>
    private sealed class TwiceHost(int factor, bool otherSignature = false, bool missing = false) : BaseHostFunctions
    {
        protected override void RegisterImports(HostImportRegistry imports)
        {
            if (missing) return;
            if (otherSignature) imports.Add("host_twice", [PluginValueType.I64], [PluginValueType.I32], call => call.ReturnInt32(0));
            else imports.Add("host_twice", [PluginValueType.I32], [PluginValueType.I32], call => call.ReturnInt32(call.GetInt32(0) * factor));
        }
    }

    private static async Task<int> Answer(WasmRuntime runtime, int x) => (int)(await runtime.CallAsync("answer", new Dictionary<string, object?> { ["x"] = x }))["result"]!;

    [Fact]
    public async Task A_preparation_is_reused_by_later_starts_and_other_runtimes_of_the_same_plugin()
    {
        var unique = Unique();
        using var plugin = TempPlugin.FromWat(Wat(unique), Manifest);
        await using var first = new WasmRuntime("prep", plugin.ModulePath, new TwiceHost(2));
        await first.StartAsync();
        var prepared = first.Preparation;
        Assert.NotNull(prepared);
        Assert.Equal(1, prepared.Starts);

        await first.StopAsync();
        await first.StartAsync();
        await using var second = new WasmRuntime("prep", plugin.ModulePath, new TwiceHost(2));
        await second.StartAsync();

        Assert.Same(prepared, first.Preparation);
        Assert.Same(prepared, second.Preparation);
        Assert.Equal(3, prepared.Starts);
        Assert.Equal(1, StartPreparations.CountFor(first.LoadedModule!));
        Assert.Equal(2 * 5 + unique, await Answer(second, 5));
        // Each start has a contract of its own: the preparation's checked contract is never handed out.
        Assert.NotSame(first.ServingContract, second.ServingContract);
    }

    [Fact]
    public async Task Each_runtime_calls_its_own_host_even_when_the_preparation_is_shared()
    {
        var unique = Unique();
        using var plugin = TempPlugin.FromWat(Wat(unique), Manifest);
        await using var doubling = new WasmRuntime("prep", plugin.ModulePath, new TwiceHost(2));
        await using var tripling = new WasmRuntime("prep", plugin.ModulePath, new TwiceHost(3));
        await doubling.StartAsync();
        await tripling.StartAsync();

        Assert.Same(doubling.Preparation, tripling.Preparation); // same names and signatures: one preparation
        Assert.Equal(2 * 7 + unique, await Answer(doubling, 7));
        Assert.Equal(3 * 7 + unique, await Answer(tripling, 7));
    }

    [Fact]
    public async Task A_host_without_the_import_or_with_another_signature_fails_as_it_would_with_nothing_cached()
    {
        var unique = Unique();
        using var plugin = TempPlugin.FromWat(Wat(unique), Manifest);
        await using var fitting = new WasmRuntime("prep", plugin.ModulePath, new TwiceHost(2));
        await fitting.StartAsync(); // a preparation now exists for this module and manifest

        await using var missing = new WasmRuntime("prep", plugin.ModulePath, new TwiceHost(2, missing: true));
        var noImport = await Assert.ThrowsAsync<PluginLoadException>(() => missing.StartAsync().AsTask());
        Assert.Contains("import 'vyra.host_twice' is not provided by the host", noImport.Message);
        Assert.False(missing.IsRunning);

        await using var other = new WasmRuntime("prep", plugin.ModulePath, new TwiceHost(2, otherSignature: true));
        var wrongType = await Assert.ThrowsAsync<PluginLoadException>(() => other.StartAsync().AsTask());
        Assert.Contains("import 'vyra.host_twice' has type (i32) -> i32 but the host provides (i64) -> i32", wrongType.Message);

        // A failed check is not kept, and the fitting host still shares the one preparation.
        Assert.Equal(1, StartPreparations.CountFor(fitting.LoadedModule!));
        Assert.Equal(2 * 3 + unique, await Answer(fitting, 3));
    }

    [Fact]
    public async Task Another_manifest_for_the_same_module_gets_its_own_preparation_and_its_own_exports()
    {
        var unique = Unique();
        var wat = $$"""(module (func (export "a") (result i32) i32.const {{unique}}) (func (export "b") (result i32) i32.const 2))""";
        using var onlyA = TempPlugin.FromWat(wat, """{ "id": "prep", "version": "1.0.0", "exports": [{ "name": "a", "args": [], "returns": "i32" }] }""");
        using var onlyB = TempPlugin.FromWat(wat, """{ "id": "prep", "version": "1.0.0", "exports": [{ "name": "b", "args": [], "returns": "i32" }] }""");
        await using var a = new WasmRuntime("prep", onlyA.ModulePath);
        await using var b = new WasmRuntime("prep", onlyB.ModulePath);
        await a.StartAsync();
        await b.StartAsync();

        Assert.Same(a.LoadedModule, b.LoadedModule); // the same bytes: one compiled module
        Assert.NotSame(a.Preparation, b.Preparation);
        Assert.Equal(unique, (int)(await a.CallAsync("a"))["result"]!);
        Assert.Equal(PluginErrorKind.UnknownFunction, (await Assert.ThrowsAsync<PluginCallException>(() => a.CallAsync("b").AsTask())).Kind);
        Assert.Equal(2, (int)(await b.CallAsync("b"))["result"]!);
        Assert.Equal(PluginErrorKind.UnknownFunction, (await Assert.ThrowsAsync<PluginCallException>(() => b.CallAsync("a").AsTask())).Kind);

        // The manifest edited in place: the next start checks against the new one (here it declares an export the module lacks).
        File.WriteAllText(onlyA.ManifestPath, """{ "id": "prep", "version": "1.0.1", "exports": [{ "name": "c", "args": [], "returns": "i32" }] }""");
        File.SetLastWriteTimeUtc(onlyA.ManifestPath, DateTime.UtcNow.AddMinutes(1));
        await a.StopAsync();
        var edited = await Assert.ThrowsAsync<PluginLoadException>(() => a.StartAsync().AsTask());
        Assert.Contains("export 'c' is declared in the manifest but the module does not export a function of that name", edited.Message);
    }

    [Fact]
    public async Task A_wasi_grant_and_fuel_limits_are_part_of_the_key()
    {
        var unique = Unique();
        var wat = $$"""
            (module
              (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
              (memory (export "memory") 1)
              (func (export "answer") (result i32) (drop (call $yield)) i32.const {{unique}}))
            """;
        using var plugin = TempPlugin.FromWat(wat, """{ "id": "prep", "version": "1.0.0", "exports": [{ "name": "answer", "args": [], "returns": "i32" }] }""");
        await using var granted = new WasmRuntime("prep", plugin.ModulePath, options: new PluginRuntimeOptions { Wasi = new WasiGrants() });
        await granted.StartAsync();
        Assert.Equal(unique, (int)(await granted.CallAsync("answer"))["result"]!);

        await using var denied = new WasmRuntime("prep", plugin.ModulePath);
        var refused = await Assert.ThrowsAsync<PluginLoadException>(() => denied.StartAsync().AsTask());
        Assert.Contains("is WASI, which the runtime's options do not grant", refused.Message);

        // Fuel metering runs on another engine: another module, another preparation.
        await using var metered = new WasmRuntime("prep", plugin.ModulePath, options: new PluginRuntimeOptions { Wasi = new WasiGrants(), Fuel = 1_000_000 });
        await metered.StartAsync();
        Assert.NotSame(granted.Preparation, metered.Preparation);
        Assert.NotSame(granted.LoadedModule, metered.LoadedModule);
        Assert.Equal(unique, (int)(await metered.CallAsync("answer"))["result"]!);
    }

    [Fact]
    public async Task A_preparation_keeps_neither_the_runtime_nor_the_host_that_made_it_alive()
    {
        var unique = Unique();
        using var plugin = TempPlugin.FromWat(Wat(unique), Manifest);
        var (runtime, host) = await StartAndDispose(plugin.ModulePath);
        await using var next = new WasmRuntime("prep", plugin.ModulePath, new TwiceHost(5));
        await next.StartAsync(); // holds the module, hence its preparations
        Assert.Equal(2, next.Preparation!.Starts);

        // Collected once nothing refers to them: a guest thread the stop ended may still be on its way out when the
        // first collection runs (seen once in a loaded full run), so look again a bounded number of times; a
        // preparation that kept them would keep them through every round.
        Assert.True(await CollectedAsync(runtime), "the disposed runtime that made the preparation is still reachable");
        Assert.True(await CollectedAsync(host), "the host of the start that made the preparation is still reachable");
        Assert.Equal(5 * 2 + unique, await Answer(next, 2));
    }

    private static async Task<bool> CollectedAsync<T>(WeakReference<T> reference) where T : class
    {
        for (var round = 0; round < 50; round++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            if (!reference.TryGetTarget(out _)) return true;
            await Task.Delay(20); // a poll interval between collections, not a wait for an event
        }
        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<(WeakReference<WasmRuntime>, WeakReference<TwiceHost>)> StartAndDispose(string modulePath)
    {
        var host = new TwiceHost(2);
        var runtime = new WasmRuntime("prep", modulePath, host);
        await runtime.StartAsync();
        Assert.Equal(2 + 0, (await Answer(runtime, 1)) - (await Answer(runtime, 0)));
        await runtime.DisposeAsync();
        return (new WeakReference<WasmRuntime>(runtime), new WeakReference<TwiceHost>(host));
    }

    [Fact]
    public async Task Concurrent_starts_of_one_plugin_share_one_preparation()
    {
        var unique = Unique();
        using var plugin = TempPlugin.FromWat(Wat(unique), Manifest);
        await using var warm = new WasmRuntime("prep", plugin.ModulePath, new TwiceHost(2));
        await warm.StartAsync(); // compiled: the concurrent starts below race on the preparation, not the compile
        await warm.StopAsync();
        GC.KeepAlive(warm.LoadedModule);

        var runtimes = Enumerable.Range(0, 16).Select(i => new WasmRuntime("prep", plugin.ModulePath, new TwiceHost(i + 1))).ToList();
        try
        {
            using var go = new ManualResetEventSlim();
            var starts = runtimes.Select(r => Task.Run(async () =>
            {
                go.Wait();
                await r.StartAsync();
            })).ToList();
            go.Set();
            await Task.WhenAll(starts);

            var prepared = runtimes[0].Preparation;
            Assert.All(runtimes, r => Assert.Same(prepared, r.Preparation));
            Assert.Equal(1, StartPreparations.CountFor(runtimes[0].LoadedModule!));
            for (var i = 0; i < runtimes.Count; i++) Assert.Equal((i + 1) * 10 + unique, await Answer(runtimes[i], 10));
        }
        finally
        {
            foreach (var runtime in runtimes) await runtime.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_preparations_of_one_module_are_bounded()
    {
        var unique = Unique();
        var wat = $$"""(module (func (export "a") (result i32) i32.const {{unique}}))""";
        var plugins = Enumerable.Range(0, StartPreparations.PerModule + 4)
            .Select(i => TempPlugin.FromWat(wat, $$"""{ "id": "prep", "version": "1.0.{{i}}", "exports": [{ "name": "a", "args": [], "returns": "i32" }] }""")).ToList();
        var runtimes = new List<WasmRuntime>();
        try
        {
            foreach (var plugin in plugins)
            {
                var runtime = new WasmRuntime("prep", plugin.ModulePath);
                runtimes.Add(runtime);
                await runtime.StartAsync();
            }
            Assert.Equal(StartPreparations.PerModule, StartPreparations.CountFor(runtimes[0].LoadedModule!));
            // An evicted preparation only costs a check: the runtime that made it still serves.
            Assert.Equal(unique, (int)(await runtimes[0].CallAsync("a"))["result"]!);
        }
        finally
        {
            foreach (var runtime in runtimes) await runtime.DisposeAsync();
            foreach (var plugin in plugins) plugin.Dispose();
        }
    }
}
