using System.Diagnostics;
using Vyra.Sdk;
using Vyra.Sdk.Redis;
using Xunit;
using static Vyra.Sdk.Redis.Tests.Bench;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>redis-server stopped and started again under running hosts and callers (its own server: it is restarted).</summary>
public sealed class RedisRestartTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task Calls_fail_fast_while_Redis_is_down_and_work_again_when_it_is_back()
    {
        await using var bench = Create(redis);
        var stub = await bench.StartStubAsync("echo");
        var lostStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        stub.RegisterHandler("echo", async (data, ct) =>
        {
            if ((string?)data["text"] == "lost") lostStarted.TrySetResult();
            await Task.Delay(Convert.ToInt32(data["ms"]), ct);
            return new Dictionary<string, object?> { ["result"] = data["text"] };
        });
        await bench.ServeAsync(bench.ServerOptions(claimTimeout: TimeSpan.FromSeconds(2)), stub);
        var connection = await bench.ConnectAsync();
        var remote = await bench.RemoteAsync("echo", connection: connection);
        Assert.Equal("before", (await remote.CallAsync("echo", Args(("text", "before"), ("ms", 0))))["result"]);

        // A call in flight when Redis goes away fails at once with the unavailable kind, not after its timeout.
        var inFlight = remote.CallAsync("echo", Args(("text", "lost"), ("ms", 3000))).AsTask();
        await lostStarted.Task.WaitAsync(TimeSpan.FromSeconds(15));
        var watch = Stopwatch.StartNew();
        await redis.StopAsync();
        var lost = await Assert.ThrowsAsync<PluginUnavailableException>(() => inFlight);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"in-flight failure took {watch.Elapsed}");
        Assert.Equal(PluginErrorKind.NotStarted, lost.Kind);
        Assert.True(lost.MayHaveRun, lost.ToString());

        // While Redis is down: refused at once, every time.
        await EventuallyAsync(() => !connection.IsConnected, what: "the caller sees the connection down");
        for (var i = 0; i < 3; i++)
        {
            watch.Restart();
            var down = await Assert.ThrowsAsync<PluginUnavailableException>(async () => await remote.CallAsync("echo", Args(("text", "x"), ("ms", 0))));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"refusal took {watch.Elapsed}");
            Assert.False(down.MayHaveRun);
            Assert.Contains("Redis is unreachable", down.Message);
        }

        // Back (empty: no persistence): callers and hosts reconnect, the host recreates its group, calls work again.
        await redis.StartAsync();
        IReadOnlyDictionary<string, object?>? after = null;
        await EventuallyAsync(async () =>
        {
            try
            {
                after = await remote.CallAsync("echo", Args(("text", "after"), ("ms", 0)), new RemoteCallOptions { Timeout = TimeSpan.FromSeconds(5) });
                return true;
            }
            catch (PluginCallException ex) when (ex is PluginUnavailableException || ex.Kind == PluginErrorKind.Timeout)
            {
                await Task.Delay(100);
                return false;
            }
        }, TimeSpan.FromSeconds(40), "a call succeeds after the restart");
        Assert.Equal("after", after!["result"]);
        for (var i = 0; i < 5; i++) Assert.Equal($"again {i}", (await remote.CallAsync("echo", Args(("text", $"again {i}"), ("ms", 0))))["result"]);
    }
}
