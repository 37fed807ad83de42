using System.Diagnostics;
using Vyra.Sdk;

namespace Vyra.Sdk.Benchmarks;

/// <summary>
/// Case 6, memory (issue 14: "memory back to the minimum after idling"): an elastic pool of a plugin whose every call
/// writes across 4 MiB of its linear memory, measured the way <c>--idle-memory</c> measures (managed heap after a full
/// GC, private bytes from smaps_rollup): started at its minimum, grown to its maximum by concurrent calls, then idle
/// until the reclaim timer has brought it back to the minimum.
/// </summary>
internal static class PoolMemory
{
    // One byte written every 4 KiB over the first 4 MiB (so each instance commits them), then a short spin.
    private const string Wat = """
        (module
          (memory (export "memory") 64)
          (func (export "touch") (param $n i32) (result i32)
            (local $p i32)
            (block $done (loop $pages
              (br_if $done (i32.ge_u (local.get $p) (i32.const 4194304)))
              (i32.store8 (local.get $p) (i32.const 1))
              (local.set $p (i32.add (local.get $p) (i32.const 4096)))
              (br $pages)))
            (block $spun (loop $spin
              (br_if $spun (i32.eqz (local.get $n)))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br $spin)))
            (i32.const 1)))
        """;

    private const string Manifest = """{"id":"pool-memory","exports":[{"name":"touch","args":[{"name":"n","type":"i32"}],"returns":"i32"}]}""";

    public static void Run(int min, int max)
    {
        var folder = Path.Combine(Path.GetTempPath(), "vyra-pool-memory-" + Environment.ProcessId);
        Directory.CreateDirectory(folder);
        try
        {
            File.WriteAllText(Path.Combine(folder, "logic.wat"), Wat);
            File.WriteAllText(Path.Combine(folder, "metadata.json"), Manifest);
            Measure(Path.Combine(folder, "logic.wat"), min, max);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void Measure(string module, int min, int max)
    {
        var idle = TimeSpan.FromMilliseconds(500);
        var options = new PluginRuntimeOptions { MinInstances = min, MaxInstances = max, InstanceIdleTimeout = idle };
        var runtime = new WasmRuntime("pool-memory", module, options: options);
        runtime.StartAsync().AsTask().GetAwaiter().GetResult();
        var pool = (InstancePool)runtime.Slots!;
        var touch = new Dictionary<string, object?> { ["n"] = 200_000 };
        runtime.CallAsync("touch", touch).AsTask().GetAwaiter().GetResult(); // compile, JIT, guest threads out of the way
        var (managed0, private0) = IdleMemory.Snapshot();

        // Grown: as many concurrent callers as the maximum, until every instance exists and each caller made 20 calls.
        var grow = Stopwatch.StartNew();
        // Own threads, ended before the snapshot: thread-pool threads injected for the load would stay and count.
        var callers = Enumerable.Range(0, max).Select(_ => new Thread(() =>
        {
            var calls = 0;
            while ((pool.Count < max || calls < 20) && grow.Elapsed < TimeSpan.FromSeconds(60))
            {
                runtime.CallAsync("touch", touch).AsTask().GetAwaiter().GetResult();
                calls++;
            }
        })).ToList();
        callers.ForEach(t => t.Start());
        callers.ForEach(t => t.Join());
        var grownTo = pool.Count;
        var grownIn = grow.Elapsed;
        var (managed1, private1) = IdleMemory.Snapshot();

        // Idle: the reclaim timer looks every half idle time (a benchmark may watch the clock; a test may not).
        var idling = Stopwatch.StartNew();
        while (pool.Count > min && idling.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(50);
        var idledFor = idling.Elapsed;
        var (managed2, private2) = IdleMemory.Snapshot();

        Console.WriteLine();
        Console.WriteLine($"## Elastic pool memory ({min} … {max} instances, each call writes 4 MiB of linear memory; idle time {idle.TotalMilliseconds} ms; private bytes from {IdleMemory.PrivateSource})");
        Console.WriteLine();
        Console.WriteLine("| state | instances | managed KB | private KB | private KB over the minimum |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Console.WriteLine($"| started, idle | {min} | {managed0 / 1024:N0} | {private0 / 1024:N0} | 0 |");
        Console.WriteLine($"| grown under {max} concurrent callers ({grownIn.TotalMilliseconds:N0} ms) | {grownTo} | {managed1 / 1024:N0} | {private1 / 1024:N0} | {(private1 - private0) / 1024:N0} |");
        Console.WriteLine($"| idle again, reclaimed after {idledFor.TotalMilliseconds:N0} ms | {pool.Count} | {managed2 / 1024:N0} | {private2 / 1024:N0} | {(private2 - private0) / 1024:N0} |");
        Console.WriteLine();
        Console.WriteLine($"Grown {pool.Grown}, reclaimed {pool.Reclaimed}, peak {pool.Peak}; per grown instance {(private1 - private0) / Math.Max(1, grownTo - min) / 1024:N0} KB private.");
        runtime.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
