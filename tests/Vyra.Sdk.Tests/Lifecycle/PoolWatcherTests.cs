using Xunit;

namespace Vyra.Sdk.Tests.Lifecycle;

/// <summary>
/// The pool watcher, driven by real file events. Nothing here waits for time to pass: each test awaits the event it
/// expects, with a generous bound that only a broken watcher reaches.
/// </summary>
public class PoolWatcherTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static PluginPoolWatcherOptions Quick => new() { Debounce = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(1) };

    [Fact]
    public async Task A_followed_runtime_is_swapped_to_a_version_dropped_into_its_pool()
    {
        using var pool = new SwapPool();
        await using var runtime = new WasmRuntime(SwapPool.Id, pool.Write("1.0.0", answer: 1));
        await runtime.StartAsync();
        await runtime.CallAsync("increment", new Dictionary<string, object?> { ["step"] = 6 });
        await using var watcher = new PluginPoolWatcher([pool.Root], Quick);
        var swapped = new TaskCompletionSource<PluginSwapAttemptedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.SwapAttempted += (_, e) => swapped.TrySetResult(e);
        watcher.Start();
        using var following = watcher.Follow(runtime);

        pool.Write("1.1.0", answer: 2);

        var attempt = await swapped.Task.WaitAsync(Generous);
        Assert.True(attempt.Result.Succeeded, attempt.Result.Message);
        Assert.Equal("1.1.0", attempt.Entry.Version);
        Assert.Same(runtime, attempt.Runtime);
        Assert.Equal(2, (await runtime.CallAsync("answer"))["result"]);
        Assert.Equal(6, (await runtime.CallAsync("get_count"))["result"]); // the state came along
    }

    [Fact]
    public async Task A_newer_version_is_offered_and_an_older_or_invalid_one_is_not()
    {
        using var pool = new SwapPool();
        pool.Write("2.0.0", answer: 2);
        await using var watcher = new PluginPoolWatcher([pool.Root], Quick);
        var offers = new List<PluginVersionFoundEventArgs>();
        var offered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.VersionFound += (_, e) =>
        {
            lock (offers) offers.Add(e);
            if (e.Entry.Version == "3.0.0") offered.TrySetResult();
        };
        watcher.Start();

        pool.Write("1.0.0", answer: 1); // older: no offer
        var broken = Path.Combine(pool.Root, SwapPool.Id, "9.0.0");
        Directory.CreateDirectory(broken);
        File.WriteAllText(Path.Combine(broken, "metadata.json"), """{"id":"swapper","version":"9.0.0"}"""); // no module: invalid
        pool.Write("3.0.0", answer: 3);

        await offered.Task.WaitAsync(Generous);
        await watcher.RescanAsync(); // whatever the events still had queued has been scanned
        lock (offers)
        {
            Assert.All(offers, o => Assert.Equal("3.0.0", o.Entry.Version));
            Assert.Equal("2.0.0", offers[0].Previous?.Version);
        }
        Assert.Contains(watcher.Catalog!.Entries, e => e.Version == "9.0.0" && !e.IsValid);
    }

    [Fact]
    public async Task A_breaking_version_in_the_pool_is_refused_once_and_the_runtime_keeps_serving()
    {
        using var pool = new SwapPool();
        await using var runtime = new WasmRuntime(SwapPool.Id, pool.Write("1.0.0", answer: 1));
        await runtime.StartAsync();
        await using var watcher = new PluginPoolWatcher([pool.Root], Quick);
        var attempts = new List<PluginSwapAttemptedEventArgs>();
        var refused = new TaskCompletionSource<PluginSwapAttemptedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.SwapAttempted += (_, e) =>
        {
            lock (attempts) attempts.Add(e);
            refused.TrySetResult(e);
        };
        watcher.Start();
        using var following = watcher.Follow(runtime);

        pool.Write("2.0.0", answer: 2, exports: """[{"name":"answer","args":[]}]""");

        var attempt = await refused.Task.WaitAsync(Generous);
        Assert.Equal(PluginSwapStatus.Refused, attempt.Result.Status);
        Assert.Contains("get_count", attempt.Result.Message);
        await watcher.RescanAsync(); // unchanged files: not tried again
        lock (attempts) Assert.Single(attempts);
        Assert.Equal(1, (await runtime.CallAsync("answer"))["result"]);
    }

    [Fact]
    public void Options_out_of_range_are_refused_naming_the_setting()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new PluginPoolWatcher([], new PluginPoolWatcherOptions { Debounce = TimeSpan.FromSeconds(2), MaxDelay = TimeSpan.FromSeconds(1) }));
        Assert.Contains("MaxDelay", error.Message);
    }
}
