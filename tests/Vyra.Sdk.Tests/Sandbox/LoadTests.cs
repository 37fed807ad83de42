using System.Diagnostics;
using System.Reflection;
using Vyra.Sdk;
using Xunit;
using Xunit.Abstractions;
using static Vyra.Sdk.Tests.Sandbox.SandboxChecks;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>Heavy tests run alone, after the parallel ones, so their timings and memory readings are their own.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeavySandboxCollection
{
    public const string Name = "Sandbox heavy";
}

/// <summary>Many threads, many runtimes, many start/stop cycles, a 50 MB module.</summary>
[Collection(HeavySandboxCollection.Name)]
public class LoadTests(ITestOutputHelper output)
{
    private const int Threads = 8;
    private const int CallsPerThread = 10_000;

    [Fact]
    public async Task Eight_threads_on_one_runtime_count_exactly_and_see_every_result_once()
    {
        using var plugin = TestPlugin.FromWat(CounterWat, CounterManifest, "healthy-counter");
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        var watch = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, Threads).Select(_ => Task.Run(async () =>
        {
            var seen = new int[CallsPerThread];
            var step = Args(("step", 1));
            for (var i = 0; i < CallsPerThread; i++) seen[i] = (int)(await runtime.CallAsync("increment", step))["result"]!;
            return seen;
        })));
        watch.Stop();
        output.WriteLine($"{Threads * CallsPerThread} calls on one runtime in {watch.ElapsedMilliseconds} ms");

        Assert.Equal(Threads * CallsPerThread, await CallInt(runtime, "get_count"));
        // Calls are serialized: each thread sees increasing values, and together they saw 1..80 000 exactly once.
        foreach (var seen in results) Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First < p.Second));
        var all = results.SelectMany(r => r).Order().ToArray();
        Assert.Equal(Enumerable.Range(1, Threads * CallsPerThread), all);
    }

    [Fact]
    public async Task Eight_threads_on_eight_runtimes_each_counts_exactly()
    {
        using var plugin = TestPlugin.FromWat(CounterWat, CounterManifest, "healthy-counter");
        var runtimes = Enumerable.Range(0, Threads).Select(_ => plugin.Create()).ToArray();
        try
        {
            foreach (var runtime in runtimes) await runtime.StartAsync();

            var watch = Stopwatch.StartNew();
            var lasts = await Task.WhenAll(runtimes.Select(runtime => Task.Run(async () =>
            {
                var step = Args(("step", 1));
                var last = 0;
                for (var i = 0; i < CallsPerThread; i++)
                {
                    var value = (int)(await runtime.CallAsync("increment", step))["result"]!;
                    Assert.Equal(last + 1, value);
                    last = value;
                }
                return last;
            })));
            watch.Stop();
            output.WriteLine($"{Threads * CallsPerThread} calls on {Threads} runtimes in {watch.ElapsedMilliseconds} ms");

            Assert.All(lasts, last => Assert.Equal(CallsPerThread, last));
            foreach (var runtime in runtimes) Assert.Equal(CallsPerThread, await CallInt(runtime, "get_count"));
        }
        finally
        {
            foreach (var runtime in runtimes) await runtime.DisposeAsync();
        }
    }

    [Fact]
    public async Task Eight_threads_on_one_runtime_while_some_calls_trap_or_time_out_the_others_count_exactly()
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (global $count (mut i32) (i32.const 0))
              (func (export "increment") (param $step i32) (result i32)
                (global.set $count (i32.add (global.get $count) (local.get $step)))
                (global.get $count))
              (func (export "trap") (result i32) unreachable)
              (func (export "spin") (loop $forever (br $forever)))
              (func (export "get_count") (result i32) (global.get $count)))
            """);
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { Timeout = TimeSpan.FromMilliseconds(20) });
        await runtime.StartAsync();

        const int calls = 2_000;
        var failures = await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(async () =>
        {
            var kinds = new List<PluginErrorKind>();
            var step = Args(("arg0", 1));
            for (var i = 0; i < calls; i++)
            {
                // The 20 ms timeout covers waiting too: a call stuck behind a spin ends as Overloaded and is retried.
                await CallRetryingOverloaded(runtime, "increment", step);
                if (i % 500 != 0) continue;
                try
                {
                    await CallRetryingOverloaded(runtime, t % 2 == 0 ? "trap" : "spin");
                }
                catch (PluginCallException ex)
                {
                    kinds.Add(ex.Kind);
                }
            }
            return kinds;
        })));

        Assert.Equal(Threads * calls, await CallInt(runtime, "get_count"));
        var all = failures.SelectMany(f => f).ToList();
        Assert.Equal(Threads * 4, all.Count);
        Assert.Equal(Threads / 2 * 4, all.Count(k => k == PluginErrorKind.Trap));
        Assert.Equal(Threads / 2 * 4, all.Count(k => k == PluginErrorKind.Timeout));
    }

    [Fact]
    public async Task The_timeout_stays_prompt_while_eight_callers_wait_for_the_same_runtime()
    {
        // Callers queue for the runtime; the epoch ticker must still tick, so the runaway call ends on time.
        using var plugin = TestPlugin.FromWat("""
            (module
              (global $count (mut i32) (i32.const 0))
              (func (export "increment") (param $step i32) (result i32)
                (global.set $count (i32.add (global.get $count) (local.get $step)))
                (global.get $count))
              (func (export "spin") (loop $forever (br $forever))))
            """);
        var timeout = TimeSpan.FromMilliseconds(100);
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { Timeout = timeout });
        await runtime.StartAsync();

        using var stop = new CancellationTokenSource();
        using var contending = new CountdownEvent(Threads);
        var load = Enumerable.Range(0, Threads).Select(_ => Task.Run(async () =>
        {
            var step = Args(("arg0", 1));
            var first = true;
            while (!stop.IsCancellationRequested)
            {
                await CallRetryingOverloaded(runtime, "increment", step);
                if (first) contending.Signal(); // this caller is in the loop: the contention is real
                first = false;
            }
        })).ToArray();
        var times = new List<long>();
        try
        {
            Assert.True(contending.Wait(TimeSpan.FromSeconds(15)), "the load never started");
            for (var i = 0; i < 5; i++)
            {
                var watch = Stopwatch.StartNew();
                await FailsWith(PluginErrorKind.Timeout, async () => await CallRetryingOverloaded(runtime, "spin"));
                times.Add(watch.ElapsedMilliseconds);
            }
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(load);
        }
        output.WriteLine($"timeouts of {timeout.TotalMilliseconds} ms under contention took {string.Join(", ", times)} ms");
        // How long a timeout takes is the quantity under test, so it is compared with the timeout itself (a ratio).
        var median = times.Order().ElementAt(times.Count / 2);
        Assert.True(median < timeout.TotalMilliseconds * 4, $"median {median} ms for a {timeout.TotalMilliseconds} ms timeout ({string.Join(", ", times)})");
        Assert.True(times.Max() < timeout.TotalMilliseconds * 10, $"worst {times.Max()} ms for a {timeout.TotalMilliseconds} ms timeout");
    }

    [Fact]
    public async Task The_timeout_stays_prompt_when_the_thread_pool_is_starved()
    {
        // A host whose thread pool is busy (sync-over-async code, callers blocked on a runtime) must still get its
        // timeouts: the sandbox's clock cannot depend on a free pool thread. The typed path runs on the caller's own
        // thread (CallAsync's answer, by design, resumes its caller on the pool, which this test starves).
        using var plugin = TestPlugin.FromWat("""(module (func (export "spin") (loop $forever (br $forever))))""");
        var timeout = TimeSpan.FromMilliseconds(100);
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { Timeout = timeout });
        await runtime.StartAsync();
        var spin = ((WasmRuntime)runtime).GetTypedExport("spin", static f => f.WrapAction());

        using var release = new ManualResetEventSlim();
        var blockers = Enumerable.Range(0, ThreadPool.ThreadCount + 64)
            .Select(_ => Task.Run(() => release.Wait(TimeSpan.FromSeconds(30))))
            .ToArray();
        var times = new List<double>();
        var kinds = new List<PluginErrorKind>();
        try
        {
            // The calls run on a thread of their own, so only the ticker needs the pool.
            var caller = new Thread(() =>
            {
                for (var i = 0; i < 3; i++)
                {
                    var watch = Stopwatch.StartNew();
                    try
                    {
                        using var call = spin.Enter();
                        try
                        {
                            call.Function!();
                        }
                        catch (Exception ex)
                        {
                            throw call.Fail(ex);
                        }
                    }
                    catch (PluginCallException ex)
                    {
                        kinds.Add(ex.Kind);
                    }
                    times.Add(watch.Elapsed.TotalMilliseconds);
                }
            });
            caller.Start();
            Assert.True(caller.Join(TimeSpan.FromSeconds(30)), "the calls never ended");
        }
        finally
        {
            release.Set();
            await Task.WhenAll(blockers);
        }
        output.WriteLine($"{timeout.TotalMilliseconds} ms timeouts with a starved thread pool took {string.Join(", ", times.Select(t => t.ToString("F0")))} ms");
        Assert.Equal([PluginErrorKind.Timeout, PluginErrorKind.Timeout, PluginErrorKind.Timeout], kinds);
        // The quantity under test, compared with the timeout itself (a ratio): five timeouts' worth.
        var median = times.Order().ElementAt(1);
        Assert.True(median < timeout.TotalMilliseconds * 5, $"median {median:F0} ms for a {timeout.TotalMilliseconds} ms timeout");
    }

    [Fact]
    public async Task Eight_threads_on_a_pool_of_four_instances_get_exact_results_and_traps_replace_instances()
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (func (export "mix") (param $a i32) (param $b i32) (result i32)
                (i32.xor (i32.mul (local.get $a) (i32.const 31)) (local.get $b)))
              (func (export "trap") (result i32) unreachable))
            """);
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { Instances = 4 });
        await runtime.StartAsync();

        var traps = await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(async () =>
        {
            var trapped = 0;
            for (var i = 0; i < CallsPerThread; i++)
            {
                var a = t * CallsPerThread + i;
                var result = (int)(await runtime.CallAsync("mix", Args(("arg0", a), ("arg1", i))))["result"]!;
                Assert.Equal((a * 31) ^ i, result);
                if (i % 1000 == 999)
                {
                    var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("trap"));
                    Assert.Equal(PluginErrorKind.Trap, ex.Kind);
                    trapped++;
                }
            }
            return trapped;
        })));

        Assert.Equal(Threads * 10, traps.Sum());
        Assert.True(runtime.IsRunning);
        Assert.Equal((5 * 31) ^ 6, await CallInt(runtime, "mix", Args(("arg0", 5), ("arg1", 6))));
    }

    private const string StateWat = """
        (module
          (memory (export "memory") 2)
          (global $g (mut i32) (i32.const 0))
          ;; init touches all 128 KiB, so a leaked instance would show in the working set.
          (func (export "init") (param $start i32) (result i32)
            (memory.fill (i32.const 0) (i32.const 171) (i32.const 131072))
            (global.set $g (local.get $start))
            (global.get $g))
          (func (export "get") (result i32) (i32.add (global.get $g) (i32.load8_u (i32.const 131071)))))
        """;

    private const string StateManifest = """
        {
          "id": "cycler",
          "exports": [
            { "name": "init", "args": [{ "name": "start", "type": "i32" }], "returns": "i32" },
            { "name": "get", "args": [], "returns": "i32" }
          ],
          "initial_state": { "start": 4 }
        }
        """;

    private static (long Managed, long WorkingSet) Measure()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        var managed = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return (managed, process.WorkingSet64);
    }

    /// <summary>How many runtimes hold the shared epoch ticker of the unmetered engine (null if the field moved).</summary>
    private static int? TickerUsers()
    {
        var ticker = WasmEngine.For(fuel: false).Ticker;
        return typeof(EpochTicker).GetField("_users", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(ticker) as int?;
    }

    [Fact]
    public async Task A_thousand_start_stop_cycles_keep_memory_and_the_ticker_stable()
    {
        const int cycles = 1_000;
        using var plugin = TestPlugin.FromWat(StateWat, StateManifest, "cycler");
        await using var runtime = plugin.Create();

        async Task Cycle()
        {
            await runtime.StartAsync();
            Assert.Equal(4 + 171, await CallInt(runtime, "get"));
            await runtime.StopAsync();
        }

        for (var i = 0; i < 50; i++) await Cycle(); // warm-up: JIT, module cache, pools
        var tickerBefore = TickerUsers();
        var before = Measure();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < cycles; i++) await Cycle();
        watch.Stop();
        var after = Measure();
        var tickerAfter = TickerUsers();

        var managedGrowth = after.Managed - before.Managed;
        var workingSetGrowth = after.WorkingSet - before.WorkingSet;
        output.WriteLine($"{cycles} cycles in {watch.ElapsedMilliseconds} ms; managed {before.Managed / 1024} → {after.Managed / 1024} KiB; working set {before.WorkingSet / 1048576} → {after.WorkingSet / 1048576} MiB");

        // A leaked instance costs at least 128 KiB of touched guest memory: 1 000 of them would be 125 MiB.
        Assert.True(managedGrowth < 8L * 1024 * 1024, $"managed memory grew by {managedGrowth / 1024} KiB over {cycles} cycles");
        Assert.True(workingSetGrowth < 64L * 1024 * 1024, $"the working set grew by {workingSetGrowth / 1048576} MiB over {cycles} cycles");
        Assert.Equal(tickerBefore, tickerAfter);
        Assert.False(runtime.IsRunning);
    }

    [Fact]
    public async Task FailedStartsReleaseWhatTheyAllocated()
    {
        const int cycles = 300;
        using var plugin = TestPlugin.FromWat(StateWat.Replace("(global.set $g (local.get $start))", "unreachable"), StateManifest, "cycler");
        await using var runtime = plugin.Create();

        for (var i = 0; i < 20; i++) await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        var tickerBefore = TickerUsers();
        var before = Measure();
        for (var i = 0; i < cycles; i++) await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        var after = Measure();
        var tickerAfter = TickerUsers();

        output.WriteLine($"{cycles} failed starts; managed {before.Managed / 1024} → {after.Managed / 1024} KiB; working set {before.WorkingSet / 1048576} → {after.WorkingSet / 1048576} MiB");
        Assert.True(after.Managed - before.Managed < 8L * 1024 * 1024);
        Assert.True(after.WorkingSet - before.WorkingSet < 32L * 1024 * 1024);
        Assert.Equal(tickerBefore, tickerAfter);
        Assert.False(runtime.IsRunning);
        await AssertHostHealthy();
    }

    [Fact]
    public async Task A_fifty_megabyte_module_loads_or_fails_cleanly_in_bounded_time()
    {
        const int dataLength = 50 * 1024 * 1024;
        var module = BigModule.WithDataSegment(dataLength);
        Assert.True(module.Length > dataLength);
        using var plugin = TestPlugin.FromBytes(module, id: "big");
        await using var runtime = plugin.Create();
        Assert.IsType<WasmRuntime>(runtime);

        var watch = Stopwatch.StartNew();
        try
        {
            await runtime.StartAsync();
        }
        catch (PluginLoadException ex)
        {
            output.WriteLine($"the 50 MB module was refused after {watch.ElapsedMilliseconds} ms: {ex.Message}");
            Assert.False(runtime.IsRunning);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15)); // a hang guard, not a timing check
            await AssertHostHealthy();
            return;
        }
        var started = watch.ElapsedMilliseconds;
        for (var i = 0; i < 3; i++)
        {
            foreach (var address in new[] { 0, 12_345, dataLength / 2, dataLength - 1 })
            {
                Assert.Equal(BigModule.ByteAt(address), await CallInt(runtime, "peek", Args(("arg0", address))));
            }
            await FailsWith(PluginErrorKind.Trap, async () => await runtime.CallAsync("peek", Args(("arg0", 800 * 65536))));
            await runtime.StopAsync();
            await runtime.StartAsync();
        }
        watch.Stop();
        output.WriteLine($"50 MB module: first start {started} ms, three more starts and 15 calls {watch.ElapsedMilliseconds - started} ms");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.ElapsedMilliseconds} ms"); // a hang guard, not a timing check
        await AssertHostHealthy();
    }
}

/// <summary>Writes a wasm binary by hand: a memory, one active data segment of a given size and <c>peek(addr) -> u8</c>.</summary>
internal static class BigModule
{
    public static int ByteAt(int address) => (address * 7 + 3) % 251;

    public static byte[] WithDataSegment(int length)
    {
        var pages = (length + 65535) / 65536;
        using var output = new MemoryStream(length + 256);
        output.Write([0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]);
        Section(output, 1, [0x01, 0x60, 0x01, 0x7F, 0x01, 0x7F]);                     // type 0: (i32) -> i32
        Section(output, 3, [0x01, 0x00]);                                             // func 0: type 0
        Section(output, 5, [0x01, 0x00, .. Leb(pages)]);                               // memory 0: min pages
        Section(output, 7, [0x02,                                                     // exports
            0x06, .. "memory"u8, 0x02, 0x00,
            0x04, .. "peek"u8, 0x00, 0x00]);
        byte[] body = [0x00, 0x20, 0x00, 0x2D, 0x00, 0x00, 0x0B];                       // local.get 0; i32.load8_u; end
        Section(output, 10, [0x01, .. Leb(body.Length), .. body]);
        var data = new byte[length];
        for (var i = 0; i < length; i++) data[i] = (byte)ByteAt(i);
        byte[] header = [0x01, 0x00, 0x41, 0x00, 0x0B, .. Leb(length)];                 // 1 segment, memory 0, offset i32.const 0
        output.WriteByte(11);
        output.Write(Leb(header.Length + length));
        output.Write(header);
        output.Write(data);
        return output.ToArray();
    }

    private static void Section(Stream output, byte id, byte[] content)
    {
        output.WriteByte(id);
        output.Write(Leb(content.Length));
        output.Write(content);
    }

    private static byte[] Leb(int value)
    {
        var bytes = new List<byte>();
        var v = (uint)value;
        do
        {
            var b = (byte)(v & 0x7F);
            v >>= 7;
            if (v != 0) b |= 0x80;
            bytes.Add(b);
        }
        while (v != 0);
        return [.. bytes];
    }
}
