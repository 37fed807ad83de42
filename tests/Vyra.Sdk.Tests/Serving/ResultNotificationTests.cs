using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Serving;

/// <summary>
/// <c>CallAsync</c>'s result notification (<c>plugin.{fn}.result</c>) with a host: it runs on the guest thread that ran
/// the call, after the lease and the guest slot are back, and CallAsync's task completes only after it. Host code in a
/// notification may call the same runtime (synchronously, or asynchronously and wait), stop it, throw, or complete
/// later: nothing hangs, and the call keeps its result.
/// </summary>
public class ResultNotificationTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    /// <summary>The host of <see cref="HookPlugin"/> whose result notifications run <see cref="OnNotify"/>.</summary>
    private sealed class NotifyHost : RecordingHost
    {
        public Func<int, int>? OnHook { get; set; }

        /// <summary>Called with the event name and the call's <c>result</c> value (null when not a call result).</summary>
        public Func<string, object?, ValueTask>? OnNotify { get; set; }

        protected override void RegisterImports(HostImportRegistry imports) =>
            imports.Add("host_hook", [PluginValueType.I32], [PluginValueType.I32], call =>
            {
                var n = call.GetInt32(0);
                call.ReturnInt32(OnHook is { } hook ? hook(n) : n);
            });

        public override ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default)
        {
            var told = base.NotifyUiAsync(eventName, data, cancellationToken);
            if (OnNotify is not { } notify) return told;
            var value = data.TryGetValue("result", out var result) && result is IReadOnlyDictionary<string, object?> r ? r.GetValueOrDefault("result") : null;
            return notify(eventName, value);
        }
    }

    private static async Task<(WasmRuntime Runtime, NotifyHost Host, TempPlugin Plugin)> StartedAsync(int instances = 1, GuestConcurrency? cap = null, bool guestThreads = true)
    {
        var plugin = HookPlugin.Create();
        var host = new NotifyHost();
        var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: new PluginRuntimeOptions
        {
            Instances = instances,
            GuestConcurrency = cap,
            GuestThreads = guestThreads,
            Timeout = Timeout.InfiniteTimeSpan,
        });
        await runtime.StartAsync();
        return (runtime, host, plugin);
    }

    private static Dictionary<string, object?> X(int x) => SamplePlugins.Args(("x", x));

    /// <summary>Runs <paramref name="call"/> on a thread of its own, blocking on it (sync over async), bounded.</summary>
    private static T OnOwnThread<T>(Func<T> call)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = call();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        Assert.True(thread.Join(Bound), "the call hung");
        if (failure is not null) throw new InvalidOperationException("the call failed", failure);
        return result;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_notification_is_done_before_CallAsync_completes_and_runs_where_the_call_ran(bool guestThreads)
    {
        var (runtime, host, plugin) = await StartedAsync(guestThreads: guestThreads);
        using var _ = plugin;
        await using var __ = runtime;
        int? guestThread = null, notifyThread = null;
        host.OnHook = n =>
        {
            guestThread = Environment.CurrentManagedThreadId;
            return n;
        };
        host.OnNotify = (name, _) =>
        {
            notifyThread = Environment.CurrentManagedThreadId;
            return default;
        };
        for (var i = 0; i < 3; i++)
        {
            var before = host.Notifications.Count;
            var result = OnOwnThread(() => runtime.CallAsync("hook", HookPlugin.N(i)).AsTask().GetAwaiter().GetResult());
            Assert.Equal(i, result["result"]);
            // Told before the task completed, exactly once, with VYRA's payload.
            Assert.Equal(before + 1, host.Notifications.Count);
            var (name, data) = host.Notifications.Last();
            Assert.Equal("plugin.hook.result", name);
            Assert.Equal("hook", data["plugin_id"]);
            Assert.Same(result, data["result"]);
            // On the thread that ran the guest: the guest thread, or the caller's own without guest threads.
            Assert.Equal(guestThread, notifyThread);
        }
    }

    [Fact]
    public async Task A_failed_call_is_not_notified()
    {
        var (runtime, host, plugin) = await StartedAsync();
        using var _ = plugin;
        await using var __ = runtime;
        host.OnHook = _ => throw new InvalidOperationException("the hook failed");
        await Assert.ThrowsAsync<PluginCallException>(() => runtime.CallAsync("hook", HookPlugin.N(1)).AsTask().WaitAsync(Bound));
        Assert.DoesNotContain(host.Notifications, n => n.Event == "plugin.hook.result");
        host.OnHook = null;
        Assert.Equal(4, (await runtime.CallAsync("double", X(2)).AsTask().WaitAsync(Bound))["result"]);
        Assert.Contains(host.Notifications, n => n.Event == "plugin.double.result");
    }

    /// <summary>How a notification calls the runtime back and waits for the answer.</summary>
    public enum CallBack
    {
        /// <summary><c>CallAsync(...).GetAwaiter().GetResult()</c> on the notifying thread.</summary>
        BlockingOnTheSameThread,

        /// <summary>The call is started on a pool thread (the only guest thread is busy notifying) and waited for.</summary>
        StartedElsewhereAndWaitedFor,

        /// <summary>The typed sync path (a generated proxy's sync method) on the notifying thread.</summary>
        TypedSync,

        /// <summary>An async notification that awaits the call.</summary>
        Awaited,
    }

    [Theory]
    [InlineData(CallBack.BlockingOnTheSameThread, 1, false)]
    [InlineData(CallBack.BlockingOnTheSameThread, 1, true)]
    [InlineData(CallBack.BlockingOnTheSameThread, 2, true)]
    [InlineData(CallBack.StartedElsewhereAndWaitedFor, 1, false)]
    [InlineData(CallBack.StartedElsewhereAndWaitedFor, 1, true)]
    [InlineData(CallBack.StartedElsewhereAndWaitedFor, 2, false)]
    [InlineData(CallBack.TypedSync, 1, true)]
    [InlineData(CallBack.Awaited, 1, true)]
    [InlineData(CallBack.Awaited, 2, false)]
    public async Task A_notification_may_call_the_same_runtime_and_wait_for_the_answer(CallBack how, int instances, bool capOfOne)
    {
        var (runtime, host, plugin) = await StartedAsync(instances, capOfOne ? new GuestConcurrency(1) : null);
        using var _ = plugin;
        await using var __ = runtime;
        var @double = runtime.GetTypedExport("double", static f => f.WrapFunc<int, int>());
        var answers = new List<int>();
        host.OnNotify = (name, value) =>
        {
            // Only the outer calls' notifications call back (the nested call's own notification runs as well).
            if (name != "plugin.hook.result") return default;
            var n = (int)value!;
            switch (how)
            {
                case CallBack.BlockingOnTheSameThread:
                    answers.Add((int)runtime.CallAsync("double", X(n)).AsTask().GetAwaiter().GetResult()["result"]!);
                    return default;
                case CallBack.StartedElsewhereAndWaitedFor:
                    answers.Add(Task.Run(async () => (int)(await runtime.CallAsync("double", X(n)))["result"]!).GetAwaiter().GetResult());
                    return default;
                case CallBack.TypedSync:
                    using (var call = @double.Enter()) answers.Add(call.Function(n));
                    return default;
                default:
                    return AwaitedAsync(n);
            }
        };
        async ValueTask AwaitedAsync(int n)
        {
            await Task.Yield();
            answers.Add((int)(await runtime.CallAsync("double", X(n)))["result"]!);
        }

        for (var i = 1; i <= 3; i++)
        {
            Assert.Equal(i, (await runtime.CallAsync("hook", HookPlugin.N(i)).AsTask().WaitAsync(Bound))["result"]);
        }
        // Each answer was in before its outer call completed.
        Assert.Equal([2, 4, 6], answers);
        // The nested calls were told too (the typed path tells nobody).
        Assert.Equal(how == CallBack.TypedSync ? 0 : 3, host.Notifications.Count(n => n.Event == "plugin.double.result"));
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(1, true)]
    [InlineData(2, false)]
    public async Task While_a_notification_blocks_other_callers_are_served(int instances, bool capOfOne)
    {
        var (runtime, host, plugin) = await StartedAsync(instances, capOfOne ? new GuestConcurrency(1) : null);
        using var _ = plugin;
        await using var __ = runtime;
        using var notifying = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        host.OnNotify = (name, value) =>
        {
            if (name == "plugin.hook.result" && (int)value! == 1)
            {
                notifying.Set();
                release.Wait(Bound);
            }
            return default;
        };
        var first = Task.Run(() => runtime.CallAsync("hook", HookPlugin.N(1)).AsTask());
        await Task.Run(() => Assert.True(notifying.Wait(Bound)));

        // Every guest thread the runtime has is busy notifying: later calls still run, on a thread of their own.
        for (var i = 0; i < 2 * instances + 1; i++)
        {
            Assert.Equal(2 * i, (await runtime.CallAsync("double", X(i)).AsTask().WaitAsync(Bound))["result"]);
        }
        Assert.False(first.IsCompleted); // the first call's task waits for its notification
        release.Set();
        Assert.Equal(1, (await first.WaitAsync(Bound))["result"]);
        Assert.InRange(runtime.Slots!.Workers.Started, 1, 2 * instances);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_stop_during_the_notification_completes_and_the_call_keeps_its_result(bool fromInside)
    {
        var (runtime, host, plugin) = await StartedAsync();
        using var _ = plugin;
        await using var __ = runtime;
        var workers = runtime.Slots!.Workers;
        using var notifying = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        host.OnNotify = (name, _) =>
        {
            if (name != "plugin.hook.result") return default;
            if (fromInside)
            {
                // Not inside the call any more: the stop runs to its end here.
                runtime.StopAsync().AsTask().GetAwaiter().GetResult();
                Assert.False(runtime.IsRunning);
                return default;
            }
            notifying.Set();
            release.Wait(Bound);
            return default;
        };
        var call = Task.Run(() => runtime.CallAsync("hook", HookPlugin.N(7)).AsTask());
        if (!fromInside)
        {
            await Task.Run(() => Assert.True(notifying.Wait(Bound)));
            await runtime.StopAsync().AsTask().WaitAsync(Bound); // does not wait for the notification
            Assert.False(call.IsCompleted);
            release.Set();
        }
        Assert.Equal(7, (await call.WaitAsync(Bound))["result"]);
        Assert.False(runtime.IsRunning);
        Assert.True(SpinWait.SpinUntil(() => workers.Alive == 0, Bound), $"{workers.Alive} workers still alive after the stop");
        var later = await Assert.ThrowsAsync<PluginCallException>(() => runtime.CallAsync("double", X(1)).AsTask());
        Assert.Equal(PluginErrorKind.NotStarted, later.Kind);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_throwing_notification_leaves_the_call_its_result(bool asynchronously)
    {
        var (runtime, host, plugin) = await StartedAsync();
        using var _ = plugin;
        await using var __ = runtime;
        host.OnNotify = (name, _) => asynchronously ? FailLaterAsync() : throw new InvalidOperationException("the UI is gone");
        static async ValueTask FailLaterAsync()
        {
            await Task.Yield();
            throw new InvalidOperationException("the UI went away");
        }
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(i, (await runtime.CallAsync("hook", HookPlugin.N(i)).AsTask().WaitAsync(Bound))["result"]);
        }
        Assert.Equal(1, runtime.Slots!.Workers.Started); // one guest thread did it all
    }

    [Fact]
    public async Task A_notification_that_completes_later_frees_the_guest_thread_and_the_call_waits_for_it()
    {
        var (runtime, host, plugin) = await StartedAsync();
        using var _ = plugin;
        await using var __ = runtime;
        var later = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var notifying = new ManualResetEventSlim();
        host.OnNotify = (name, value) =>
        {
            if (name != "plugin.hook.result") return default;
            notifying.Set();
            return new ValueTask(later.Task);
        };
        var first = runtime.CallAsync("hook", HookPlugin.N(3)).AsTask();
        await Task.Run(() => Assert.True(notifying.Wait(Bound)));

        // The guest thread is not held by the pending notification: the next call runs while it is pending.
        // (It may get a second thread if it arrives while the first is still returning from the notification's start.)
        Assert.Equal(10, (await runtime.CallAsync("double", X(5)).AsTask().WaitAsync(Bound))["result"]);
        Assert.InRange(runtime.Slots!.Workers.Started, 1, 2);
        Assert.False(first.IsCompleted);
        later.SetResult();
        Assert.Equal(3, (await first.WaitAsync(Bound))["result"]);
    }

    private static readonly AsyncLocal<string?> Flowing = new();

    [Fact]
    public async Task The_notification_sees_the_callers_context_not_what_host_functions_changed_in_it()
    {
        var (runtime, host, plugin) = await StartedAsync();
        using var _ = plugin;
        await using var __ = runtime;
        string? seen = "unset";
        host.OnHook = n =>
        {
            Flowing.Value = "set by the host function";
            return n;
        };
        host.OnNotify = (name, _) =>
        {
            seen = Flowing.Value;
            return default;
        };
        Flowing.Value = "the caller's";
        Assert.Equal(1, (await runtime.CallAsync("hook", HookPlugin.N(1)).AsTask().WaitAsync(Bound))["result"]);
        Assert.Equal("the caller's", seen);
    }
}
