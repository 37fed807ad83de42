using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Vyra.Cli.Infrastructure;
using Vyra.Sdk;

namespace Vyra.Cli.Commands;

/// <summary>
/// <c>vyra bench &lt;plugin&gt; &lt;function&gt; [key=value ...]</c>: calls one export in a loop through
/// <see cref="PluginRuntime.CallAsync"/> (or, with <c>--typed</c>, the allocation-free typed path generated proxies use)
/// and prints calls per second and latency percentiles.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var plugin = new Argument<string>("plugin") { Description = "A plugin folder or a .wasm/.wat module file." };
        var function = new Argument<string>("function") { Description = "The export to call." };
        var pairs = new Argument<string[]>("arguments") { Description = "Arguments as key=value (as for call).", Arity = ArgumentArity.ZeroOrMore };
        var argsJson = new Option<string?>("--args") { Description = "Arguments as a JSON object; key=value pairs win on the same key.", HelpName = "json" };
        var json = JsonMode.CreateOption();
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Do not show progress on standard error while measuring." };
        var duration = new Option<double?>("--duration", "-d") { Description = "Measure for this many seconds (default 3).", HelpName = "s" };
        var calls = new Option<long?>("--calls", "-n") { Description = "Measure exactly this many calls (instead of --duration).", HelpName = "n" };
        var warmup = new Option<int>("--warmup") { Description = "Calls made before measuring (default 100).", DefaultValueFactory = _ => 100, HelpName = "n" };
        var typed = new Option<bool>("--typed") { Description = "Call through the typed export path (bound Wasmtime delegate, no dictionary) instead of CallAsync. Scalar signatures only." };
        var compare = new Option<bool>("--compare") { Description = "Measure raw Wasmtime, the typed export path and CallAsync side by side (interleaved rounds) and print each one's ratio to raw. Scalar signatures only; not with --typed or --stub." };
        var shared = SharedOptions.Create();
        var command = new Command("bench", "Call one export repeatedly and print calls per second and latency percentiles (p50, p90, p99, max); " +
            "progress goes to standard error. A failing call stops the bench with the exit code call would give. " + ExitCodes.SeeTable)
        {
            plugin, function, pairs, argsJson, json, quiet, duration, calls, warmup, typed, compare,
        };
        shared.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            var seconds = result.GetValue(duration);
            var count = result.GetValue(calls);
            if (seconds is not null && count is not null) throw new UsageException("give --duration or --calls, not both");
            if (seconds is <= 0 or > 86_400) throw new UsageException("--duration must be between 0 and 86400 seconds");
            if (count is <= 0 or > 100_000_000) throw new UsageException("--calls must be between 1 and 100000000");
            var warmupCalls = result.GetValue(warmup);
            if (warmupCalls < 0) throw new UsageException("--warmup must not be negative");
            var useTyped = result.GetValue(typed);
            if (useTyped && shared.Stub(result)) throw new UsageException("--typed needs the wasm backend; it cannot be combined with --stub");
            var useCompare = result.GetValue(compare);
            if (useCompare && useTyped) throw new UsageException("--compare already measures the typed path beside raw Wasmtime and CallAsync; drop --typed");
            if (useCompare && shared.Stub(result)) throw new UsageException("--compare needs the wasm backend (raw Wasmtime and the typed path load the module); it cannot be combined with --stub");

            var location = PluginLocation.Resolve(result.GetRequiredValue(plugin));
            var name = result.GetRequiredValue(function);
            var manifest = CommandRunner.TryReadManifest(location);
            var data = CallArguments.Build(result.GetValue(pairs), result.GetValue(argsJson), "--args", manifest, name);
            var asJson = result.GetValue(json);
            var progress = ProgressLine.Create(enabled: !asJson && !result.GetValue(quiet));

            var stub = shared.Stub(result);
            var options = shared.Options(result);
            await using var runtime = PluginRuntime.Create(location.ReadId(), location.ModulePath, new ConsoleHost(quiet: true), null, stub, options);
            CommandRunner.RefuseStubFallback(runtime, stub, location);
            await runtime.StartAsync(cancellationToken).ConfigureAwait(false);
            if (useCompare)
            {
                return await CompareAsync((WasmRuntime)runtime, options, location, name, data, progress, asJson, warmupCalls, count, TimeSpan.FromSeconds(seconds ?? 3), cancellationToken).ConfigureAwait(false);
            }

            Func<CancellationToken, ValueTask> call;
            string path;
            if (useTyped)
            {
                call = TypedCall.Create((WasmRuntime)runtime, location, name, data);
                path = "typed export";
            }
            else
            {
                call = async ct => await runtime.CallAsync(name, data, ct).ConfigureAwait(false);
                path = "CallAsync";
            }

            var what = $"{runtime.PluginId}.{name}";
            if (warmupCalls > 0) progress.Say($"bench {what}: warming up ({warmupCalls.ToString("N0", CultureInfo.InvariantCulture)} calls)");
            for (var i = 0; i < warmupCalls; i++) await call(cancellationToken).ConfigureAwait(false);
            // One call outside the warm-up as well, so a failing call is reported before anything is measured.
            if (warmupCalls == 0) await call(cancellationToken).ConfigureAwait(false);

            var length = TimeSpan.FromSeconds(seconds ?? 3);
            progress.Say(count is { } n
                ? $"bench {what}: measuring {n.ToString("N0", CultureInfo.InvariantCulture)} calls"
                : $"bench {what}: measuring for {length.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s");
            var elapsed = new Stopwatch();
            long[] samples;
            try
            {
                samples = await MeasureAsync(call, count, length, elapsed, progress, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                progress.Clear();
            }
            Array.Sort(samples);
            if (asJson) JsonMode.Write(Document(runtime.PluginId, name, runtime.Backend, useTyped, warmupCalls, samples, elapsed.Elapsed));
            else Report(what, runtime.Backend, path, samples, elapsed.Elapsed);
            return ExitCodes.Ok;
        }, result.GetValue(json)));
        return command;
    }

    private static async Task<int> CompareAsync(WasmRuntime runtime, PluginRuntimeOptions options, PluginLocation location, string name, IReadOnlyDictionary<string, object?> data,
        ProgressLine progress, bool asJson, int warmupCalls, long? count, TimeSpan length, CancellationToken cancellationToken)
    {
        const string instead = "raw Wasmtime and the typed path need a scalar signature; drop --compare to measure CallAsync alone";
        var typedCall = TypedCall.Create(runtime, location, name, data, "--compare", instead);
        // The raw engine meters fuel exactly when the runtime does: metering is compiled into the code, so a raw
        // baseline without it would count the metering as the SDK's overhead.
        var fuel = EffectiveLimits.Resolve(options, runtime.Manifest?.Limits).Fuel is not null;
        using var raw = RawWasmtimeCall.Create(runtime.PluginId, runtime.Manifest, location.ModulePath, name, data, fuel, instead);
        var comparison = new BenchComparison(
        [
            new BenchComparison.Path("raw", "raw Wasmtime", raw.Call),
            new BenchComparison.Path("typed", "typed export", typedCall),
            new BenchComparison.Path("call", "CallAsync", async ct => await runtime.CallAsync(name, data, ct).ConfigureAwait(false)),
        ], progress, $"{runtime.PluginId}.{name}");
        // The SDK paths warm up first: a call that fails there fails as it would in an application (call's exit code),
        // before the raw path's stand-in imports could make it fail differently.
        await comparison.WarmUpAsync(warmupCalls, cancellationToken, order: [2, 1, 0]).ConfigureAwait(false);
        await comparison.MeasureAsync(count, length, cancellationToken).ConfigureAwait(false);
        if (asJson) JsonMode.Write(comparison.Document(runtime.PluginId, name, runtime.Backend, warmupCalls, raw.StandIns, fuel));
        else comparison.Report(runtime.Backend, raw.StandIns, fuel);
        return ExitCodes.Ok;
    }

    private static async Task<long[]> MeasureAsync(Func<CancellationToken, ValueTask> call, long? count, TimeSpan duration, Stopwatch total, ProgressLine progress, CancellationToken cancellationToken)
    {
        var ticks = new List<long>(count is { } n ? (int)Math.Min(n, 10_000_000) : 1 << 16);
        total.Start();
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (count is { } c ? ticks.Count < c : Stopwatch.GetTimestamp() < deadline)
        {
            var start = Stopwatch.GetTimestamp();
            var pending = call(cancellationToken);
            if (!pending.IsCompletedSuccessfully) await pending.ConfigureAwait(false);
            var end = Stopwatch.GetTimestamp();
            ticks.Add(end - start);
            if (progress.IsDue(end)) progress.Update(Progress(ticks.Count, count, total.Elapsed, duration), end);
        }
        total.Stop();
        return [.. ticks];
    }

    private static string Progress(int done, long? count, TimeSpan elapsed, TimeSpan duration)
    {
        var calls = done.ToString("N0", CultureInfo.InvariantCulture);
        var seconds = elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        return count is { } n
            ? $"  {calls} of {n.ToString("N0", CultureInfo.InvariantCulture)} calls ({(100.0 * done / n).ToString("0", CultureInfo.InvariantCulture)}%), {seconds} s"
            : $"  {seconds} of {duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s, {calls} calls";
    }

    /// <summary>The <c>--json</c> report (docs/cli.md): latencies in nanoseconds, nearest-rank percentiles.</summary>
    private static Dictionary<string, object?> Document(string pluginId, string function, string backend, bool typed, int warmup, long[] sorted, TimeSpan elapsed) => new()
    {
        ["plugin"] = pluginId,
        ["function"] = function,
        ["backend"] = backend,
        ["path"] = typed ? "typed" : "call",
        ["warmup"] = warmup,
        ["calls"] = sorted.Length,
        ["seconds"] = elapsed.TotalSeconds,
        ["calls_per_second"] = sorted.Length / Math.Max(elapsed.TotalSeconds, 1e-9),
        ["latency_ns"] = new Dictionary<string, object?>
        {
            ["p50"] = Nanoseconds(Percentile(sorted, 0.50)),
            ["p90"] = Nanoseconds(Percentile(sorted, 0.90)),
            ["p99"] = Nanoseconds(Percentile(sorted, 0.99)),
            ["max"] = Nanoseconds(sorted[^1]),
        },
    };

    private static long Nanoseconds(long ticks) => (long)Math.Round(ticks * 1e9 / Stopwatch.Frequency);

    private static void Report(string what, string backend, string path, long[] ticks, TimeSpan elapsed)
    {
        var output = Console.Out;
        var rate = ticks.Length / Math.Max(elapsed.TotalSeconds, 1e-9);
        output.WriteLine($"bench {what} ({backend} backend, {path})");
        output.WriteLine($"  calls     {ticks.Length.ToString("N0", CultureInfo.InvariantCulture)} in {elapsed.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)} s");
        output.WriteLine($"  calls/s   {rate.ToString("N0", CultureInfo.InvariantCulture)}");
        output.WriteLine($"  latency   p50 {Time(Percentile(ticks, 0.50))}  p90 {Time(Percentile(ticks, 0.90))}  p99 {Time(Percentile(ticks, 0.99))}  max {Time(ticks[^1])}");
    }

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    private static long Percentile(long[] sorted, double p)
    {
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static string Time(long ticks) => Time(ticks * 1e9 / Stopwatch.Frequency);

    internal static string Time(double ns) =>
        ns switch
        {
            < 1_000 => ns.ToString("0", CultureInfo.InvariantCulture) + " ns",
            < 1_000_000 => (ns / 1_000).ToString("0.0", CultureInfo.InvariantCulture) + " µs",
            < 1_000_000_000 => (ns / 1_000_000).ToString("0.00", CultureInfo.InvariantCulture) + " ms",
            _ => (ns / 1_000_000_000).ToString("0.000", CultureInfo.InvariantCulture) + " s",
        };
}
