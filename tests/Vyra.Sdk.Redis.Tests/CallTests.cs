using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vyra.Sdk;
using Vyra.Sdk.Redis;
using Vyra.Sdk.Redis.Tests.Plugins;
using Xunit;
using static Vyra.Sdk.Redis.Tests.Bench;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>Calls across hosts: the same results, error kinds, timeouts, cancellation and idempotency as a local runtime.</summary>
public sealed class CallTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    /// <summary>A value with its .NET type, for comparing what local and remote calls give.</summary>
    private static string Describe(object? value) => value switch
    {
        null => "null",
        byte[] bytes => "byte[]:" + Convert.ToBase64String(bytes),
        JsonNode node => "JsonNode:" + node.ToJsonString(),
        System.Collections.IList list => "List[" + string.Join(",", list.Cast<object?>().Select(Describe)) + "]",
        _ => value.GetType().Name + ":" + JsonSerializer.Serialize(value, value.GetType()),
    };

    private static string Describe(IReadOnlyDictionary<string, object?> result) =>
        string.Join(";", result.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + Describe(p.Value)));

    [Fact]
    public async Task Remote_calls_give_what_local_calls_give()
    {
        await using var bench = Create(redis);
        var math = await bench.StartLocalAsync("math-kit");
        var text = await bench.StartLocalAsync("text-tools");
        await bench.ServeAsync(null, math, text);
        var remoteMath = await bench.RemoteAsync("math-kit");
        var remoteText = await bench.RemoteAsync("text-tools");

        var cases = new (PluginRuntime Local, RemotePluginRuntime Remote, string Function, Dictionary<string, object?> Data)[]
        {
            (math, remoteMath, "add_i64", Args(("a", 5_000_000_000L), ("b", 7))),
            (math, remoteMath, "scale", Args(("x", 1.5f), ("factor", 2f))),
            (math, remoteMath, "hypot", Args(("a", 3.0), ("b", 4.0))),
            (math, remoteMath, "divmod", Args(("a", 17), ("b", 5))),
            (math, remoteMath, "fib", Args(("n", 50))),
            (math, remoteMath, "add_i64", Args(("a", "4"), ("b", 2.9))),
            (text, remoteText, "upper", Args(("text", "héllo wörld"))),
            (text, remoteText, "byte_sum", Args(("data", new byte[] { 1, 2, 250 }))),
            (text, remoteText, "word_count", Args(("text", "one two  three"))),
            (text, remoteText, "describe", Args(("doc", JsonNode.Parse("""{"a":[1,2,3]}""")))),
        };
        foreach (var (local, remote, function, data) in cases)
        {
            var expected = await local.CallAsync(function, data);
            var actual = await remote.CallAsync(function, data);
            Assert.Equal(Describe(expected), Describe(actual));
        }
    }

    [Fact]
    public async Task Generated_typed_proxies_work_over_a_remote_runtime()
    {
        await using var bench = Create(redis);
        await bench.ServeAsync(null, await bench.StartLocalAsync("math-kit"), await bench.StartLocalAsync("text-tools"));
        var math = new MathKitPlugin(await bench.RemoteAsync("math-kit"));
        var text = new TextToolsPlugin(await bench.RemoteAsync("text-tools"));

        Assert.Equal(5_000_000_007L, await math.AddI64Async(5_000_000_000L, 7));
        Assert.Equal((3, 2), await math.DivmodAsync(17, 5));
        Assert.Equal(3f, await math.ScaleAsync(1.5f, 2f));
        Assert.Equal(5.0, math.Hypot(3, 4));
        Assert.Equal("ABC", await text.UpperAsync("abc"));
        Assert.Equal(253, await text.ByteSumAsync([1, 2, 250]));
        Assert.Equal("""{"length":7}""", (await text.DescribeAsync(JsonNode.Parse("[1,2,3]")))!.ToJsonString());
        var trap = await Assert.ThrowsAsync<PluginCallException>(async () => await math.DivmodAsync(1, 0));
        Assert.Equal(PluginErrorKind.Trap, trap.Kind);
    }

    [Fact]
    public async Task Failures_come_back_with_their_kind()
    {
        await using var bench = Create(redis);
        var stopped = new StubRuntime("stopped-stub");
        bench.Defer(() => stopped.DisposeAsync());
        await bench.ServeAsync(null, await bench.StartLocalAsync("math-kit"), stopped);
        var math = await bench.RemoteAsync("math-kit");

        async Task<PluginCallException> Fails(RemotePluginRuntime remote, string function, Dictionary<string, object?>? data = null) =>
            await Assert.ThrowsAsync<PluginCallException>(async () => await remote.CallAsync(function, data));

        var trap = await Fails(math, "divmod", Args(("a", 1), ("b", 0)));
        Assert.Equal(PluginErrorKind.Trap, trap.Kind);
        Assert.Equal("math-kit", trap.PluginId);
        Assert.Equal("divmod", trap.FunctionName);
        Assert.Equal(PluginErrorKind.UnknownFunction, (await Fails(math, "no_such_function")).Kind);
        Assert.Equal(PluginErrorKind.InvalidArgument, (await Fails(math, "add_i64", Args(("a", "not a number"), ("b", 1)))).Kind);
        Assert.Equal(PluginErrorKind.NotStarted, (await Fails(await bench.RemoteAsync("stopped-stub"), "get_state")).Kind);

        var notStarted = new RemotePluginRuntime("math-kit", await bench.ConnectAsync(), new RemotePluginRuntimeOptions { Keyspace = bench.Keys, Security = bench.Security("caller") });
        Assert.Equal(PluginErrorKind.NotStarted, (await Fails(notStarted, "fib", Args(("n", 3)))).Kind);

        var ping = await math.CallAsync("ping");
        Assert.Equal("remote", ping["runtime"]);
    }

    [Fact]
    public async Task A_call_past_its_timeout_fails_with_Timeout_and_the_host_goes_on()
    {
        await using var bench = Create(redis);
        var stub = await bench.StartStubAsync("slow");
        stub.RegisterHandler("sleep", async (data, ct) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Convert.ToInt32(data["ms"])), ct);
            return new Dictionary<string, object?> { ["result"] = "woke" };
        });
        var server = await bench.ServeAsync(null, stub);
        var remote = await bench.RemoteAsync("slow", callTimeout: TimeSpan.FromMilliseconds(400));

        var watch = Stopwatch.StartNew();
        var timeout = await Assert.ThrowsAsync<PluginCallException>(async () => await remote.CallAsync("sleep", Args(("ms", 20_000))));
        Assert.Equal(PluginErrorKind.Timeout, timeout.Kind);
        // Not before the 400 ms timeout (it is what failed the call); the upper end is a hang guard, not a timing check.
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(350), TimeSpan.FromSeconds(5));
        Assert.Equal(0, remote.PendingCount);

        // The host cancels the call at the request's deadline, so its slot is free again.
        await EventuallyAsync(() => server.InFlightCount == 0, what: "the host gave up the timed-out call");
        var ok = await remote.CallAsync("sleep", Args(("ms", 1)), new RemoteCallOptions { Timeout = TimeSpan.FromSeconds(20) });
        Assert.Equal("woke", ok["result"]);
    }

    [Fact]
    public async Task A_cancelled_call_fails_with_Cancelled()
    {
        await using var bench = Create(redis);
        var stub = await bench.StartStubAsync("slow");
        stub.RegisterHandler("sleep", async (_, ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(20), ct);
            return new Dictionary<string, object?>();
        });
        await bench.ServeAsync(null, stub);
        var remote = await bench.RemoteAsync("slow");

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();
        var cancelled = await Assert.ThrowsAsync<PluginCallException>(async () => await remote.CallAsync("sleep", null, cts.Token));
        Assert.Equal(PluginErrorKind.Cancelled, cancelled.Kind);
        Assert.IsAssignableFrom<OperationCanceledException>(cancelled.InnerException);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}"); // a hang guard (the call sleeps 20 s), not a timing check

        var already = await Assert.ThrowsAsync<PluginCallException>(async () => await remote.CallAsync("sleep", null, new CancellationToken(canceled: true)));
        Assert.Equal(PluginErrorKind.Cancelled, already.Kind);
    }

    [Fact]
    public async Task A_retried_call_with_an_idempotency_key_runs_once()
    {
        await using var bench = Create(redis);
        var stub = await bench.StartStubAsync("counter");
        var runs = 0;
        stub.RegisterHandler("bump", async (_, _) =>
        {
            var n = Interlocked.Increment(ref runs);
            await Task.Delay(200);
            return new Dictionary<string, object?> { ["result"] = n };
        });
        await bench.ServeAsync(null, stub);
        await bench.ServeAsync(bench.ServerOptions(hostName: "second-host"), await bench.StartStubAsync("unrelated"));
        var remote = await bench.RemoteAsync("counter");

        var once = new RemoteCallOptions { IdempotencyKey = "order-17" };
        var first = await remote.CallAsync("bump", null, once);
        var retry = await remote.CallAsync("bump", null, once);
        Assert.Equal(1, first["result"]);
        Assert.Equal(1, retry["result"]);
        Assert.Equal(1, runs);

        // Two copies sent at the same time: one runs, the other waits for its reply.
        var both = await Task.WhenAll(
            remote.CallAsync("bump", null, new RemoteCallOptions { IdempotencyKey = "order-18" }).AsTask(),
            remote.CallAsync("bump", null, new RemoteCallOptions { IdempotencyKey = "order-18" }).AsTask());
        Assert.Equal(both[0]["result"], both[1]["result"]);
        Assert.Equal(2, runs);

        // Without a key every call runs.
        await remote.CallAsync("bump");
        await remote.CallAsync("bump");
        Assert.Equal(4, runs);
    }
}
