using System.Buffers.Binary;
using System.Text;
using Vyra.Sdk;
using Xunit;
using static Vyra.Sdk.Tests.Sandbox.SandboxChecks;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>
/// With WASI granted, a guest sleeping in <c>poll_oneoff</c> still ends at its call's deadline, its caller's cancellation
/// or a stop; short sleeps still sleep and report their event.
/// </summary>
public class WasiDeadlineTests
{
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LongTimeout = TimeSpan.FromSeconds(30);

    // A hang guard, not a measurement: without the bound the call would sleep the full 20 s.
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(8);

    private const ulong TwentySeconds = 20_000_000_000;
    private const ulong TenMilliseconds = 10_000_000;
    private const ulong NapUserdata = 0x1122_3344_5566_7788;

    /// <summary>A WASI preview1 subscription (48 bytes) as a WAT data string.</summary>
    private static string Subscription(ulong userdata, byte tag, uint clockOrFd, ulong timeout = 0, ushort flags = 0)
    {
        var bytes = new byte[48];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, userdata);
        bytes[8] = tag;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), clockOrFd);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), timeout);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(40), flags);
        var text = new StringBuilder();
        foreach (var b in bytes) text.Append('\\').Append(b.ToString("x2"));
        return text.ToString();
    }

    // Memory: subscriptions from 0 (48 bytes each), events from 1024 (32 bytes each), the event count at 2048, clock
    // readings at 2056. Every export returns 0 when the poll did what it should, or a code naming what went wrong.
    private static readonly string PollWat = $$"""
        (module
          (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "clock_time_get" (func $now (param i32 i64 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
          (import "vyra" "entered" (func $entered))
          (memory (export "memory") 1)
          ;; 0: a 20 s monotonic sleep
          (data (i32.const 0) "{{Subscription(1, 0, 1, TwentySeconds)}}")
          ;; 48: a 10 ms monotonic sleep
          (data (i32.const 48) "{{Subscription(NapUserdata, 0, 1, TenMilliseconds)}}")
          ;; 96: fd_read on stdin, then 144: a 20 s realtime sleep (a poll of both)
          (data (i32.const 96) "{{Subscription(7, 1, 0)}}")
          (data (i32.const 144) "{{Subscription(8, 0, 0, TwentySeconds)}}")
          ;; 192: an absolute monotonic clock, 240: an absolute realtime clock (timeouts filled in by the guest)
          (data (i32.const 192) "{{Subscription(9, 0, 1, 0, 1)}}")
          (data (i32.const 240) "{{Subscription(10, 0, 0, 0, 1)}}")
          ;; 288: a clock the kernel cannot time (process CPU time)
          (data (i32.const 288) "{{Subscription(11, 0, 2, TenMilliseconds)}}")

          (func $one_event (param $errno i32) (param $userdata i64) (param $type i32) (result i32)
            (if (local.get $errno) (then (return (i32.add (i32.const 100) (local.get $errno)))))
            (if (i32.ne (i32.load (i32.const 2048)) (i32.const 1)) (then (return (i32.add (i32.const 200) (i32.load (i32.const 2048))))))
            (if (i64.ne (i64.load (i32.const 1024)) (local.get $userdata)) (then (return (i32.const 3))))
            (if (i32.load16_u (i32.const 1032)) (then (return (i32.const 4))))
            (if (i32.ne (i32.load8_u (i32.const 1034)) (local.get $type)) (then (return (i32.const 5))))
            (i32.const 0))

          (func (export "sleep_20s") (result i32)
            (call $entered)
            (call $poll (i32.const 0) (i32.const 1024) (i32.const 1) (i32.const 2048)))

          (func (export "nap_10ms") (result i32)
            (call $one_event (call $poll (i32.const 48) (i32.const 1024) (i32.const 1) (i32.const 2048)) (i64.const {{NapUserdata}}) (i32.const 0)))

          (func (export "fd_and_clock") (result i32)
            (call $one_event (call $poll (i32.const 96) (i32.const 1024) (i32.const 2) (i32.const 2048)) (i64.const 7) (i32.const 1)))

          ;; absolute: now (read with clock_time_get) + 10 ms
          (func $absolute (param $clock i32) (param $sub i32) (param $userdata i64) (result i32)
            (drop (call $now (local.get $clock) (i64.const 0) (i32.const 2056)))
            (i64.store (i32.add (local.get $sub) (i32.const 24)) (i64.add (i64.load (i32.const 2056)) (i64.const {{TenMilliseconds}})))
            (call $one_event (call $poll (local.get $sub) (i32.const 1024) (i32.const 1) (i32.const 2048)) (local.get $userdata) (i32.const 0)))
          (func (export "absolute_monotonic") (result i32) (call $absolute (i32.const 1) (i32.const 192) (i64.const 9)))
          (func (export "absolute_realtime") (result i32) (call $absolute (i32.const 0) (i32.const 240) (i64.const 10)))

          (func (export "cpu_clock") (result i32)
            (call $poll (i32.const 288) (i32.const 1024) (i32.const 1) (i32.const 2048)))
          (func (export "no_subscriptions") (result i32)
            (call $poll (i32.const 0) (i32.const 1024) (i32.const 0) (i32.const 2048)))
          (func (export "outside_memory") (result i32)
            (call $poll (i32.const 65500) (i32.const 1024) (i32.const 1) (i32.const 2048)))

          ;; fd_read on stdin into 16 bytes at 2200 (iovec at 2100), the count read at 2108
          (data (i32.const 2100) "\98\08\00\00\10\00\00\00")
          (func (export "read_stdin") (result i32)
            (local $errno i32)
            (local.set $errno (call $read (i32.const 0) (i32.const 2100) (i32.const 1) (i32.const 2108)))
            (if (local.get $errno) (then (return (i32.add (i32.const 100) (local.get $errno)))))
            (i32.load (i32.const 2108)))

          (func (export "ok") (result i32) (i32.const 42)))
        """;

    private static TestHost EnteringHost(TaskCompletionSource entered) =>
        new(imports => imports.Add("entered", [], [], _ => entered.TrySetResult()));

    private static async Task<PluginRuntime> Started(TestPlugin plugin, TimeSpan timeout, TaskCompletionSource? entered = null)
    {
        var runtime = plugin.Create(EnteringHost(entered ?? new TaskCompletionSource()), new PluginRuntimeOptions { Timeout = timeout, Wasi = new WasiGrants() });
        await runtime.StartAsync();
        return runtime;
    }

    [Fact(Timeout = 20_000)]
    public async Task A_20_second_clock_sleep_ends_as_a_timeout_at_a_short_deadline()
    {
        using var plugin = TestPlugin.FromWat(PollWat);
        await using var runtime = await Started(plugin, ShortTimeout);

        var ex = await FailsWithin(PluginErrorKind.Timeout, HangGuard, () => Task.Run(async () => await runtime.CallAsync("sleep_20s")));
        Assert.Equal("sleep_20s", ex.FunctionName);
        Assert.Equal(42, await CallInt(runtime, "ok")); // the plugin is still usable
    }

    [Fact(Timeout = 20_000)]
    public async Task A_short_sleep_under_a_long_deadline_sleeps_and_reports_its_clock_event()
    {
        using var plugin = TestPlugin.FromWat(PollWat);
        await using var runtime = await Started(plugin, LongTimeout);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, await CallInt(runtime, "nap_10ms"));
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(10), $"the nap took {watch.Elapsed.TotalMilliseconds:F1} ms");
    }

    [Fact(Timeout = 20_000)]
    public async Task Absolute_clocks_read_from_clock_time_get_are_due_when_asked()
    {
        using var plugin = TestPlugin.FromWat(PollWat);
        await using var runtime = await Started(plugin, LongTimeout);

        // 10 ms after the guest's own reading of each clock: a wrong clock origin would sleep until the 30 s deadline instead.
        Assert.Equal(0, await CallInt(runtime, "absolute_monotonic"));
        Assert.Equal(0, await CallInt(runtime, "absolute_realtime"));
    }

    [Fact(Timeout = 20_000)]
    public async Task A_ready_fd_answers_a_poll_at_once_without_waiting_for_its_clock()
    {
        using var plugin = TestPlugin.FromWat(PollWat);
        await using var runtime = await Started(plugin, LongTimeout);

        // The fd_read event (type 1, userdata 7) is the only one: the 20 s clock beside it is not due. Within the hang guard.
        var call = Task.Run(async () => await CallInt(runtime, "fd_and_clock"));
        Assert.Same(call, await Task.WhenAny(call, Task.Delay(HangGuard)));
        Assert.Equal(0, await call);
    }

    [Theory(Timeout = 20_000)]
    [InlineData("cpu_clock", 28)] // EINVAL: a clock the kernel cannot time
    [InlineData("no_subscriptions", 28)] // EINVAL
    [InlineData("outside_memory", 21)] // EFAULT: subscriptions past the end of memory
    public async Task Polls_the_kernel_cannot_answer_return_an_errno(string function, int errno)
    {
        using var plugin = TestPlugin.FromWat(PollWat);
        await using var runtime = await Started(plugin, LongTimeout);

        Assert.Equal(errno, await CallInt(runtime, function));
    }

    [Fact(Timeout = 20_000)]
    public async Task Standard_input_is_never_granted_so_reading_it_ends_at_once_with_nothing()
    {
        using var plugin = TestPlugin.FromWat(PollWat);
        await using var runtime = await Started(plugin, LongTimeout);

        // A grant cannot pass the host's standard input on: the guest's is empty, so fd_read cannot block on it.
        var call = Task.Run(async () => await CallInt(runtime, "read_stdin"));
        Assert.Same(call, await Task.WhenAny(call, Task.Delay(HangGuard)));
        Assert.Equal(0, await call);
    }

    [Fact(Timeout = 20_000)]
    public async Task Cancelling_the_caller_ends_a_clock_sleep_as_cancelled()
    {
        using var plugin = TestPlugin.FromWat(PollWat);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var runtime = await Started(plugin, LongTimeout, entered);
        using var caller = new CancellationTokenSource();

        var call = Task.Run(async () => await runtime.CallAsync("sleep_20s", cancellationToken: caller.Token));
        await entered.Task; // the guest is about to poll
        caller.Cancel();
        var ex = await FailsWithin(PluginErrorKind.Cancelled, HangGuard, () => call);
        Assert.IsAssignableFrom<OperationCanceledException>(ex.InnerException);
        Assert.Equal(42, await CallInt(runtime, "ok"));
    }

    [Fact(Timeout = 20_000)]
    public async Task Stopping_the_runtime_ends_a_clock_sleep()
    {
        using var plugin = TestPlugin.FromWat(PollWat);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runtime = await Started(plugin, LongTimeout, entered);

        var call = Task.Run(async () => await runtime.CallAsync("sleep_20s"));
        await entered.Task;
        var stop = runtime.StopAsync().AsTask();
        Assert.Same(stop, await Task.WhenAny(stop, Task.Delay(HangGuard)));
        await stop;
        await FailsWithin(PluginErrorKind.Cancelled, HangGuard, () => call);
        Assert.False(runtime.IsRunning);
        await runtime.DisposeAsync();
    }
}
