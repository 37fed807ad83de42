using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Xunit;
using Xunit.Abstractions;

namespace Vyra.Sdk.Hosting.Tests;

/// <summary>A fact that runs only when <c>VYRA_MEASURE=1</c>: measurements take tens of seconds and load the machine.</summary>
public sealed class MeasureFactAttribute : FactAttribute
{
    public MeasureFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("VYRA_MEASURE") != "1") Skip = "a measurement: set VYRA_MEASURE=1 to run it";
    }
}

/// <summary>
/// <c>GET /plugins</c> while many callers keep a busy plugin saturated: the listing must not wait behind guest code.
/// The behaviour test always runs (bounded: 16 callers, 30 listings); the measurement prints percentiles for 16 and
/// 200 callers when asked for (<c>VYRA_MEASURE=1 dotnet test tests/Vyra.Sdk.Hosting.Tests --filter Measure
/// --logger "console;verbosity=detailed"</c>).
/// </summary>
public sealed class LatencyUnderLoadTests(ITestOutputHelper output)
{
    private sealed record Load(IReadOnlyList<double> ListingMs, IReadOnlyDictionary<HttpStatusCode, int> CallStatuses, IReadOnlyList<HttpStatusCode> ListingStatuses);

    /// <summary>
    /// Starts <paramref name="callers"/> loops calling a plugin whose calls spin for <paramref name="spinMs"/> on
    /// <paramref name="instances"/> instances; once they are answered, lists the plugins back to back until
    /// <paramref name="callsDuringListing"/> more calls were answered (so the listings span the load, without sleeping).
    /// </summary>
    private async Task<Load> SaturateAsync(int callers, int instances, int callsDuringListing, int spinMs)
    {
        var clock = Stopwatch.StartNew();
        using var pool = new TempPool().AddSpinner("busy", timeoutMs: spinMs);
        // The configured default timeout (appsettings.json) wins over the manifest's: set the plugin's own here.
        await using var web = await RunningSample.StartAsync($"--Vyra:Plugins:Pools:1={pool.Root}", $"--Vyra:Plugins:ById:busy:TimeoutMs={spinMs}", $"--Vyra:Plugins:ById:busy:Instances={instances}");
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = callers + 4 };
        using var callClient = new HttpClient(handler) { BaseAddress = web.Client.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

        var statuses = new ConcurrentDictionary<HttpStatusCode, int>();
        var answered = 0;
        var saturated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await callClient.PostAsync("/plugins/busy/spin", RunningSample.Json(""), stop.Token);
                    statuses.AddOrUpdate(response.StatusCode, 1, (_, n) => n + 1);
                    if (Interlocked.Increment(ref answered) >= Math.Min(callers, 16)) saturated.TrySetResult();
                }
                catch (OperationCanceledException)
                {
                }
            }
        })).ToList();

        await saturated.Task.WaitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"saturated after {clock.ElapsedMilliseconds} ms");
        var latencies = new List<double>();
        var listingStatuses = new List<HttpStatusCode>();
        var until = Volatile.Read(ref answered) + callsDuringListing;
        while (Volatile.Read(ref answered) < until && latencies.Count < 20_000)
        {
            var watch = Stopwatch.StartNew();
            using var response = await web.Client.GetAsync("/plugins");
            await response.Content.ReadAsByteArrayAsync();
            latencies.Add(watch.Elapsed.TotalMilliseconds);
            listingStatuses.Add(response.StatusCode);
        }
        output.WriteLine($"listed after {clock.ElapsedMilliseconds} ms, {answered} answered");
        stop.Cancel();
        await Task.WhenAll(load).WaitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"callers ended after {clock.ElapsedMilliseconds} ms");
        return new Load(latencies, statuses, listingStatuses);
    }

    [Fact]
    public async Task Get_plugins_answers_while_callers_saturate_a_busy_plugin()
    {
        var load = await SaturateAsync(callers: 16, instances: 2, callsDuringListing: 20, spinMs: 50);
        Assert.All(load.ListingStatuses, s => Assert.Equal(HttpStatusCode.OK, s));
        // Each saturating call either runs out its time (504) or is turned away as overloaded (503): never a 500.
        Assert.All(load.CallStatuses.Keys, s => Assert.Contains(s, new[] { HttpStatusCode.GatewayTimeout, HttpStatusCode.ServiceUnavailable }));
        Assert.True(load.CallStatuses.Values.Sum() >= 16);
    }

    [MeasureFact]
    public async Task Measure_get_plugins_latency_under_16_and_200_callers()
    {
        await MeasureAsync();
    }

    private async Task MeasureAsync()
    {
        foreach (var (callers, instances) in new[] { (16, 1), (16, 16), (200, 1), (200, 200) })
        {
            var load = await SaturateAsync(callers, instances, callsDuringListing: 100, spinMs: 50);
            var sorted = load.ListingMs.Order().ToArray();
            double P(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
            output.WriteLine($"callers {callers,3}, instances {instances,3}: GET /plugins x{sorted.Length}: p50 {P(0.50):F1} ms, p90 {P(0.90):F1} ms, p99 {P(0.99):F1} ms, max {sorted[^1]:F1} ms; " +
                $"calls answered {load.CallStatuses.Values.Sum()} ({string.Join(", ", load.CallStatuses.OrderBy(p => p.Key).Select(p => $"{(int)p.Key}: {p.Value}"))}); " +
                $"{Environment.ProcessorCount} cores");
            Assert.All(load.ListingStatuses, s => Assert.Equal(HttpStatusCode.OK, s));
        }
    }
}
