using System.Diagnostics;
using Vyra.Sdk;
using Wasmtime;

namespace Vyra.Sdk.Benchmarks;

/// <summary>
/// Memory per idle runtime: starts N runtimes of one plugin and keeps them idle, then divides the growth of the
/// managed heap (after a full, compacting GC that returns the collector's free space) and of the process's private memory (Linux: Private_Clean + Private_Dirty from
/// /proc/self/smaps_rollup, else <see cref="Process.PrivateMemorySize64"/>) by N. Raw Wasmtime stores + instances of the
/// same module are measured the same way as the baseline.
/// </summary>
internal static class IdleMemory
{
    public static void Run(int count)
    {
        Console.WriteLine();
        Console.WriteLine($"## Memory per idle runtime (N = {count}, private bytes from {PrivateSource})");
        Console.WriteLine();
        Console.WriteLine("| plugin | runtime | managed B/runtime | private B/runtime |");
        Console.WriteLine("|---|---|---:|---:|");
        // Nothing is freed until the end, so freed-but-kept native heap cannot hide the growth of a later step.
        var keep = new List<IDisposable>();
        var disposeLater = new List<Func<ValueTask>>();
        foreach (var (id, path) in new[] { ("counter-widget", BenchPlugins.CounterWidget), ("text-tools", BenchPlugins.TextTools) })
        {
            var raw = new RawWasm();
            var module = RawWasm.Load(raw.Engine, path);
            var linker = new Linker(raw.Engine);
            keep.AddRange([linker, module, raw]);
            foreach (var import in module.Imports.OfType<FunctionImport>())
            {
                linker.DefineFunction(import.ModuleName, import.Name, (Caller _, ReadOnlySpan<ValueBox> _, Span<ValueBox> _) => { }, import.Parameters, import.Results);
            }
            Measure(id, "raw Store + Instance", count, () =>
            {
                var store = raw.NewStore();
                linker.Instantiate(store, module);
                keep.Insert(0, store);
            });
            Measure(id, "Vyra WasmRuntime (started)", count, () =>
            {
                var runtime = new WasmRuntime(id, path);
                runtime.StartAsync().AsTask().GetAwaiter().GetResult();
                disposeLater.Add(runtime.DisposeAsync);
            });
        }
        Console.WriteLine();
        foreach (var dispose in disposeLater) dispose().AsTask().GetAwaiter().GetResult();
        foreach (var item in keep) item.Dispose();
    }

    private static void Measure(string id, string what, int count, Action create)
    {
        create(); // compile, JIT and first-use costs out of the way
        var (managed0, private0) = Snapshot(compact: true);
        for (var i = 0; i < count; i++) create();
        var (managed1, private1) = Snapshot(compact: true);
        Console.WriteLine($"| {id} | {what} | {(managed1 - managed0) / count:N0} | {(private1 - private0) / count:N0} |");
    }

    /// <summary>
    /// The managed heap after a full collection and the process's private bytes. With <paramref name="compact"/> the
    /// collection is also an aggressive, compacting one that gives the garbage collector's free space back to the
    /// system: without it, the private growth counts the heap the garbage of N starts made the collector grow (a raw
    /// store that also allocated 5 KB of garbage per start measured 14.6 KB "per instance" instead of 6.9 KB), which is
    /// no memory an idle runtime holds (docs/benchmarks.md, "Start and memory").
    /// </summary>
    internal static (long Managed, long Private) Snapshot(bool compact = false)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        if (compact) GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return (GC.GetTotalMemory(forceFullCollection: true), PrivateBytes());
    }

    internal static string PrivateSource => File.Exists(SmapsRollup) ? "smaps_rollup Private_*" : "Process.PrivateMemorySize64";

    private const string SmapsRollup = "/proc/self/smaps_rollup";

    private static long PrivateBytes()
    {
        if (!File.Exists(SmapsRollup))
        {
            using var process = Process.GetCurrentProcess();
            return process.PrivateMemorySize64;
        }
        long kb = 0;
        foreach (var line in File.ReadLines(SmapsRollup))
        {
            if (!line.StartsWith("Private_", StringComparison.Ordinal)) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            kb += long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        return kb * 1024;
    }
}
