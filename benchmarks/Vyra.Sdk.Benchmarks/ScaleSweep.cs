using System.Diagnostics;
using System.Globalization;

namespace Vyra.Sdk.Benchmarks;

/// <summary>
/// Cost as the number of loaded plugins grows (issue 14, <c>--scale</c>): starts idle runtimes of counter-widget until
/// 1, 10, 100 and 1,000 are alive together (each step adds to the previous ones; nothing is freed until the end, so
/// freed-but-kept native heap cannot hide growth), and prints per step the managed and private memory per runtime
/// (growth since before the first runtime, divided by N, measured as <see cref="IdleMemory"/> does) and the start time
/// of one runtime (<c>new WasmRuntime</c> + <c>StartAsync</c>; median over all N, and over the step's new runtimes only,
/// to show whether starting gets slower as more are alive). Bounded: a step stops when the time budget is spent, and
/// the step to 1,000 is skipped when the memory measured at 100 says it would not fit in half the available memory.
/// </summary>
internal static class ScaleSweep
{
    private static readonly int[] Steps = [1, 10, 100, 1000];

    /// <summary>
    /// Two rounds in one process: the first from a cold process (its memory figures are the ones to trust), the second
    /// after the first was disposed (warm JIT: its start times are the steady ones; its memory may be lowered by native
    /// heap the first round freed and the allocator kept).
    /// </summary>
    public static void Run(TimeSpan budget)
    {
        Round("round 1, cold process", budget, memory: true);
        Round("round 2, same process after round 1 was disposed (memory not comparable: —)", budget, memory: false);
    }

    private static void Round(string title, TimeSpan budget, bool memory)
    {
        Console.WriteLine();
        Console.WriteLine($"## Idle runtimes of counter-widget, 1 … 1,000 alive: {title} (private bytes from {IdleMemory.PrivateSource}, budget {budget.TotalSeconds:N0} s)");
        Console.WriteLine();
        Console.WriteLine("| N alive | managed B/runtime | private B/runtime | private total MiB | virtual GiB | mappings | start median, all N (µs) | start median, this step (µs) | start max, this step (µs) | step wall time (ms) |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var runtimes = new List<WasmRuntime>();
        var starts = new List<double>();
        // Compile, JIT and the module cache out of the way; this runtime is not counted.
        runtimes.Add(StartOne(BenchPlugins.CounterWidget, out _));
        var (managed0, private0) = IdleMemory.Snapshot();
        var clock = Stopwatch.StartNew();
        long privatePerRuntime = 0;
        foreach (var target in Steps)
        {
            var alive = starts.Count;
            if (memory && privatePerRuntime > 0 && (target - alive) * privatePerRuntime > AvailableBytes() / 2)
            {
                Console.WriteLine($"| {target:N0} | skipped: {target - alive:N0} more × {privatePerRuntime:N0} B would exceed half the available memory | | | | | | | | |");
                break;
            }
            var stepStart = clock.Elapsed;
            var stepTimes = new List<double>();
            while (starts.Count < target && clock.Elapsed < budget)
            {
                runtimes.Add(StartOne(BenchPlugins.CounterWidget, out var micros));
                starts.Add(micros);
                stepTimes.Add(micros);
            }
            var stepWall = clock.Elapsed - stepStart;
            var (managed1, private1) = IdleMemory.Snapshot();
            var n = starts.Count;
            privatePerRuntime = (private1 - private0) / n;
            using (var process = Process.GetCurrentProcess())
            {
                var note = n < target ? $" (budget spent at {n:N0})" : "";
                var memoryColumns = memory
                    ? string.Create(CultureInfo.InvariantCulture, $"{(managed1 - managed0) / n:N0} | {privatePerRuntime:N0} | {(private1 - private0) / 1048576.0:N1}")
                    : "— | — | —";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {n:N0}{note} | {memoryColumns} | {process.VirtualMemorySize64 / 1073741824.0:N1} | {Mappings():N0} | {Median(starts):N1} | {Median(stepTimes):N1} | {stepTimes.Max():N1} | {stepWall.TotalMilliseconds:N0} |"));
            }
            if (n < target) break;
        }
        Console.WriteLine();
        var dispose = Stopwatch.StartNew();
        foreach (var runtime in runtimes) runtime.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Console.WriteLine($"Disposing all {runtimes.Count:N0} runtimes took {dispose.Elapsed.TotalMilliseconds:N0} ms.");
        Console.WriteLine();
    }

    private static WasmRuntime StartOne(string path, out double micros)
    {
        var watch = Stopwatch.StartNew();
        var runtime = new WasmRuntime("counter-widget", path);
        runtime.StartAsync().AsTask().GetAwaiter().GetResult();
        micros = watch.Elapsed.TotalMicroseconds;
        return runtime;
    }

    private static double Median(List<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    // Shown because a mapping per linear memory would count against the kernel's vm.max_map_count (65,530 by default).
    private static int Mappings() => File.Exists("/proc/self/maps") ? File.ReadLines("/proc/self/maps").Count() : -1;

    private static long AvailableBytes()
    {
        const string MemInfo = "/proc/meminfo";
        if (File.Exists(MemInfo))
        {
            foreach (var line in File.ReadLines(MemInfo))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
            }
        }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }
}
