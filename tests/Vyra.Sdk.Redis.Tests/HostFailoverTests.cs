using System.Collections.Concurrent;
using Vyra.Sdk;
using Vyra.Sdk.Redis;
using Xunit;
using static Vyra.Sdk.Redis.Tests.Bench;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>
/// Several hosts serving one plugin id: shared load, and a dead host's requests taken over. Run alone (after the parallel
/// classes): the takeover counts on claim timing of one second, which the other classes' processes and servers
/// starving two cores made this class miss in one full run out of six.
/// </summary>
[Collection(HostFailoverAlone.Name)]
public sealed class HostFailoverTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static async Task<StubRuntime> Worker(Bench bench, string host, ConcurrentDictionary<int, int> runs, Action? onRun = null, Task? holdUntil = null)
    {
        var stub = await bench.StartStubAsync("worker");
        stub.RegisterHandler("work", async (data, ct) =>
        {
            var n = Convert.ToInt32(data["n"]);
            runs.AddOrUpdate(n, 1, (_, c) => c + 1);
            onRun?.Invoke();
            if (holdUntil is not null) await holdUntil.WaitAsync(TimeSpan.FromSeconds(15), ct);
            await Task.Delay(30, ct);
            return new Dictionary<string, object?> { ["result"] = n * 10, ["host"] = host };
        });
        return stub;
    }

    [Fact]
    public async Task Two_hosts_share_the_load()
    {
        await using var bench = Create(redis);
        var runs = new ConcurrentDictionary<int, int>();
        // Host a holds its calls until host b has run one: on a busy machine a host whose loops start late could
        // otherwise find the work already done, and the test would measure thread scheduling, not sharing.
        var bRan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var a = await bench.ServeAsync(bench.ServerOptions(hostName: "host-a"), await Worker(bench, "host-a", runs, holdUntil: bRan.Task));
        var b = await bench.ServeAsync(bench.ServerOptions(hostName: "host-b"), await Worker(bench, "host-b", runs, onRun: () => bRan.TrySetResult()));
        var remote = await bench.RemoteAsync("worker");

        var calls = Enumerable.Range(0, 60).Select(n => remote.CallAsync("work", Args(("n", n))).AsTask()).ToArray();
        var results = await Task.WhenAll(calls);

        for (var n = 0; n < 60; n++) Assert.Equal(n * 10, results[n]["result"]);
        Assert.All(runs.Values, count => Assert.Equal(1, count));
        Assert.Equal(60, a.HandledCount + b.HandledCount);
        Assert.True(a.HandledCount > 0 && b.HandledCount > 0, $"host-a {a.HandledCount}, host-b {b.HandledCount}");
        Assert.Equal(60, remote.ServedBy.Values.Sum());
        Assert.Equal(["host-a", "host-b"], remote.ServedBy.Keys.Order());
    }

    [Fact]
    public async Task Requests_held_by_a_host_that_dies_are_claimed_by_another_and_answered_once()
    {
        await using var bench = Create(redis);
        var claim = TimeSpan.FromSeconds(1);

        // The doomed host takes requests and never answers: its plugin hangs until the host goes away.
        var taken = new ConcurrentDictionary<int, int>();
        var hanging = await bench.StartStubAsync("worker");
        hanging.RegisterHandler("work", async (data, ct) =>
        {
            taken.AddOrUpdate(Convert.ToInt32(data["n"]), 1, (_, c) => c + 1);
            await Task.Delay(Timeout.Infinite, ct);
            return new Dictionary<string, object?>();
        });
        var doomed = await bench.ServeAsync(bench.ServerOptions(claimTimeout: claim, shutdownGrace: TimeSpan.Zero, hostName: "doomed"), hanging);
        var remote = await bench.RemoteAsync("worker");

        var calls = Enumerable.Range(0, 5).Select(n => remote.CallAsync("work", Args(("n", n))).AsTask()).ToArray();
        await EventuallyAsync(() => doomed.InFlightCount == 5 && taken.Count == 5, what: "the doomed host holds all five requests");
        await doomed.DisposeAsync();
        Assert.Equal(0, doomed.HandledCount);
        Assert.All(calls, call => Assert.False(call.IsCompleted));

        var runs = new ConcurrentDictionary<int, int>();
        var survivor = await bench.ServeAsync(bench.ServerOptions(claimTimeout: claim, hostName: "survivor"), await Worker(bench, "survivor", runs));
        var results = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));

        for (var n = 0; n < 5; n++) Assert.Equal(n * 10, results[n]["result"]);
        Assert.Equal(5, survivor.ClaimedCount);
        Assert.Equal(5, survivor.HandledCount);
        Assert.Equal(5, runs.Count);
        Assert.All(runs.Values, count => Assert.Equal(1, count));
        Assert.Equal(0, remote.PendingCount);
        Assert.Equal(new Dictionary<string, long> { ["survivor"] = 5 }, remote.ServedBy);

        // New calls go to the survivor directly.
        Assert.Equal(70, (await remote.CallAsync("work", Args(("n", 7))))["result"]);
    }

    [Fact]
    public async Task A_long_call_on_a_live_host_is_not_claimed_by_another()
    {
        await using var bench = Create(redis);
        var claim = TimeSpan.FromSeconds(2); // refreshed every ~0.7 s; generous on a shared, busy machine
        var runs = 0;
        async Task<StubRuntime> Slow()
        {
            var stub = await bench.StartStubAsync("slow-worker");
            stub.RegisterHandler("work", async (_, ct) =>
            {
                Interlocked.Increment(ref runs);
                await Task.Delay(TimeSpan.FromSeconds(5), ct);
                return new Dictionary<string, object?> { ["result"] = 1 };
            });
            return stub;
        }
        var a = await bench.ServeAsync(bench.ServerOptions(claimTimeout: claim, hostName: "a"), await Slow());
        var remote = await bench.RemoteAsync("slow-worker");
        var call = remote.CallAsync("work").AsTask();
        await EventuallyAsync(() => a.InFlightCount == 1, what: "host a runs the call");
        var b = await bench.ServeAsync(bench.ServerOptions(claimTimeout: claim, hostName: "b"), await Slow());

        Assert.Equal(1, (await call)["result"]);
        Assert.Equal(1, runs);
        Assert.Equal(0, b.ClaimedCount);
    }
}

/// <summary>The collection <see cref="HostFailoverTests"/> runs in: alone, never beside another test class.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostFailoverAlone
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Redis host failover, alone";
}
