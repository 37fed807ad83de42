using System.Diagnostics;
using System.Globalization;
using Vyra.Cli.Infrastructure;

namespace Vyra.Cli.Commands;

/// <summary>
/// <c>vyra bench --compare</c>: the same export with the same arguments through raw Wasmtime, the SDK's typed export
/// path and <c>CallAsync</c>, measured in one process and interleaved — the same warm-up for each, then rounds in which
/// every path gets the same number of calls (or the same time), the order rotating each round so that drift (a
/// neighbour's load, the JIT's tiering, the CPU's clock) hits all three alike. Each row is reported with its ratio to raw.
/// </summary>
internal sealed class BenchComparison
{
    /// <summary>Rounds per path; a multiple of three, so each path runs first, second and third equally often.</summary>
    public const int Rounds = 6;

    /// <summary>
    /// Calls timed together. Timing each call alone would add the clock read (~20 ns here) to every sample, as much as
    /// a raw call costs, and hide the difference between raw and typed; a batch's time divided by its calls does not.
    /// </summary>
    public const int Batch = 16;

    public sealed record Path(string Key, string Label, Func<CancellationToken, ValueTask> Call);

    public sealed class Row(Path path)
    {
        public Path Path { get; } = path;

        public LatencyHistogram BatchNs { get; } = new();

        public long Calls { get; set; }

        public long Ticks { get; set; }

        public double MeanNs => Calls == 0 ? 0 : Ticks * 1e9 / Stopwatch.Frequency / Calls;

        public double Seconds => (double)Ticks / Stopwatch.Frequency;

        /// <summary>Nearest-rank percentile of the per-call times of the batches (to within 1 %).</summary>
        public double Percentile(double p) => BatchNs.Percentile(p);
    }

    private readonly IReadOnlyList<Path> _paths;
    private readonly ProgressLine _progress;
    private readonly string _what;
    private long _plannedCalls; // --calls: every path's calls together (0 with --duration)
    private long _callsDone;
    private long _started;
    private long _plannedTicks;

    public BenchComparison(IReadOnlyList<Path> paths, ProgressLine progress, string what)
    {
        _paths = paths;
        _progress = progress;
        _what = what;
        Results = [.. paths.Select(p => new Row(p))];
    }

    public IReadOnlyList<Row> Results { get; }

    public int RoundCount { get; private set; }

    /// <summary>Warms every path up (at least one call each, so a failing path is reported before anything is measured).</summary>
    public async Task WarmUpAsync(int calls, CancellationToken cancellationToken, IReadOnlyList<int> order)
    {
        foreach (var path in order.Select(i => _paths[i]))
        {
            if (calls > 0) _progress.Say($"bench {_what}: warming up {path.Label} ({calls.ToString("N0", CultureInfo.InvariantCulture)} calls)");
            for (var i = 0; i < Math.Max(calls, 1); i++) await path.Call(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Measures <paramref name="count"/> calls per path, or <paramref name="duration"/> shared equally by the paths.</summary>
    public async Task MeasureAsync(long? count, TimeSpan duration, CancellationToken cancellationToken)
    {
        RoundCount = count is { } n ? (int)Math.Min(Rounds, n) : Rounds;
        var slice = (long)(duration.TotalSeconds * Stopwatch.Frequency / (RoundCount * _paths.Count));
        _plannedCalls = count is { } total ? total * _paths.Count : 0;
        _plannedTicks = slice * RoundCount * _paths.Count;
        _callsDone = 0;
        _started = Stopwatch.GetTimestamp();
        try
        {
            for (var round = 0; round < RoundCount; round++)
            {
                for (var j = 0; j < _paths.Count; j++)
                {
                    var row = Results[(round + j) % _paths.Count];
                    long? calls = count is { } c ? c / RoundCount + (round < c % RoundCount ? 1 : 0) : null;
                    _progress.Say(calls is { } k
                        ? $"bench {_what}: round {round + 1} of {RoundCount}, {row.Path.Label}: measuring {k.ToString("N0", CultureInfo.InvariantCulture)} calls"
                        : $"bench {_what}: round {round + 1} of {RoundCount}, {row.Path.Label}: measuring for {(duration.TotalSeconds / (RoundCount * _paths.Count)).ToString("0.###", CultureInfo.InvariantCulture)} s");
                    await RoundAsync(row, calls, slice, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _progress.Clear();
        }
    }

    private async Task RoundAsync(Row row, long? calls, long slice, CancellationToken cancellationToken)
    {
        var call = row.Path.Call;
        var deadline = Stopwatch.GetTimestamp() + slice;
        long done = 0;
        while (calls is { } n ? done < n : Stopwatch.GetTimestamp() < deadline)
        {
            // Raw Wasmtime and the typed path never look at the token: check it per batch (outside the timed part),
            // so Ctrl+C ends a long round at once.
            cancellationToken.ThrowIfCancellationRequested();
            var batch = (int)(calls is { } m ? Math.Min(Batch, m - done) : Batch);
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < batch; i++)
            {
                var pending = call(cancellationToken);
                if (!pending.IsCompletedSuccessfully) await pending.ConfigureAwait(false);
            }
            var end = Stopwatch.GetTimestamp();
            done += batch;
            _callsDone += batch;
            row.Calls += batch;
            row.Ticks += end - start;
            row.BatchNs.Add((end - start) * 1e9 / Stopwatch.Frequency / batch);
            if (_progress.IsDue(end))
            {
                _progress.Update($"  {Overall(end)} {row.Path.Label}: {done.ToString("N0", CultureInfo.InvariantCulture)} calls, mean {BenchCommand.Time(row.MeanNs)}", end);
            }
        }
    }

    /// <summary>How far the whole measurement is (every path, every round), as <c>[37%]</c>.</summary>
    private string Overall(long now)
    {
        var part = _plannedCalls > 0 ? (double)_callsDone / _plannedCalls : _plannedTicks > 0 ? (double)(now - _started) / _plannedTicks : 1;
        return "[" + Math.Clamp(part * 100, 0, 100).ToString("0", CultureInfo.InvariantCulture) + "%]";
    }

    /// <summary>The ratio of <paramref name="value"/> to the raw row's; null when raw measured nothing (no time at all).</summary>
    private static double? Ratio(double value, double raw) => raw > 0 ? value / raw : null;

    public void Report(string backend, IReadOnlyList<string> standIns, bool fuel)
    {
        var output = Console.Out;
        var raw = Results.First(r => r.Path.Key == "raw");
        output.WriteLine($"bench {_what} ({backend} backend, compared: {RoundCount} interleaved rounds, batches of up to {Batch} calls)");
        var width = Math.Max(4, Results.Max(r => r.Path.Label.Length));
        output.WriteLine($"  {"path".PadRight(width)}  {"calls",12}  {"mean",10}  {"median",10}  {"p99",10}  {"× raw",8}");
        foreach (var row in Results)
        {
            var ratio = Ratio(row.MeanNs, raw.MeanNs) is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "-";
            output.WriteLine($"  {row.Path.Label.PadRight(width)}  {row.Calls.ToString("N0", CultureInfo.InvariantCulture),12}  {BenchCommand.Time(row.MeanNs),10}  " +
                $"{BenchCommand.Time(row.Percentile(0.50)),10}  {BenchCommand.Time(row.Percentile(0.99)),10}  {ratio,8}");
        }
        output.WriteLine($"  raw: own Wasmtime engine (epoch on, fuel {(fuel ? "on, as the SDK meters this plugin" : "off, as the SDK")}), typed delegate, no SDK code");
        if (standIns.Count > 0)
        {
            output.WriteLine($"  raw: imports {string.Join(", ", standIns)} answered by no-op stand-ins (zeros): a call that uses them does less work raw");
        }
    }

    /// <summary>The <c>--compare --json</c> report (docs/cli.md): times in nanoseconds per call, ratios to the raw row.</summary>
    public Dictionary<string, object?> Document(string pluginId, string function, string backend, int warmup, IReadOnlyList<string> standIns, bool fuel)
    {
        var raw = Results.First(r => r.Path.Key == "raw");
        return new()
        {
            ["plugin"] = pluginId,
            ["function"] = function,
            ["backend"] = backend,
            ["path"] = "compare",
            ["warmup"] = warmup,
            ["rounds"] = RoundCount,
            ["batch"] = Batch,
            ["raw_fuel"] = fuel,
            ["raw_stand_in_imports"] = standIns,
            ["paths"] = Results.Select(row => new Dictionary<string, object?>
            {
                ["path"] = row.Path.Key,
                ["calls"] = row.Calls,
                ["seconds"] = row.Seconds,
                ["mean_ns"] = Math.Round(row.MeanNs, 1),
                ["median_ns"] = Math.Round(row.Percentile(0.50), 1),
                ["p99_ns"] = Math.Round(row.Percentile(0.99), 1),
                ["ratio"] = Ratio(row.MeanNs, raw.MeanNs),
                ["ratio_median"] = Ratio(row.Percentile(0.50), raw.Percentile(0.50)),
            }).ToList(),
        };
    }
}
