using Vyra.Sdk;
using Xunit;
using static Vyra.Sdk.Tests.Sandbox.SandboxChecks;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>Time limits reach host functions: they get a token for the call's deadline and its caller's cancellation.</summary>
public class HostCallDeadlineTests
{
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(10); // a hang guard, not a timing check (SandboxChecks.FailsWithin)

    private const string WaitWat = """
        (module
          (import "vyra" "host_wait" (func $wait))
          (func (export "call_wait") (call $wait))
          (func (export "ok") (result i32) (i32.const 42)))
        """;

    private static readonly string WaitManifest = TestPlugin.Manifest(exports: """
        [{ "name": "call_wait", "args": [] }, { "name": "ok", "args": [], "returns": "i32" }]
        """);

    /// <summary>A host whose <c>host_wait</c> waits on a task that completes only when its token fires.</summary>
    private static TestHost WaitingHost(TaskCompletionSource<CancellationToken> entered) => new(imports => imports.Add("host_wait", [], [], call =>
    {
        var token = call.CancellationToken;
        entered.TrySetResult(token);
        call.Wait(new ValueTask(Task.Delay(Timeout.Infinite, token)));
    }));

    [Fact(Timeout = 20_000)]
    public async Task A_host_function_waiting_on_its_token_ends_the_call_as_a_timeout()
    {
        using var plugin = TestPlugin.FromWat(WaitWat, WaitManifest);
        var entered = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var runtime = plugin.Create(WaitingHost(entered), new PluginRuntimeOptions { Timeout = ShortTimeout });
        await runtime.StartAsync();

        var ex = await FailsWithin(PluginErrorKind.Timeout, ShortTimeout + Margin, () => Task.Run(async () => await runtime.CallAsync("call_wait")));
        Assert.Equal("call_wait", ex.FunctionName);
        Assert.True((await entered.Task).IsCancellationRequested);
        Assert.Equal(42, await CallInt(runtime, "ok"));
    }

    [Fact(Timeout = 20_000)]
    public async Task The_callers_cancellation_reaches_a_waiting_host_function()
    {
        using var plugin = TestPlugin.FromWat(WaitWat, WaitManifest);
        var entered = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var runtime = plugin.Create(WaitingHost(entered), new PluginRuntimeOptions { Timeout = TimeSpan.FromSeconds(30) });
        await runtime.StartAsync();
        using var caller = new CancellationTokenSource();

        var call = Task.Run(async () => await runtime.CallAsync("call_wait", cancellationToken: caller.Token));
        await entered.Task; // the host function is waiting
        caller.Cancel();
        var ex = await FailsWith(PluginErrorKind.Cancelled, () => call);
        Assert.IsAssignableFrom<OperationCanceledException>(ex.InnerException);
    }

    [Fact(Timeout = 20_000)]
    public async Task Stopping_the_runtime_releases_a_waiting_host_function()
    {
        using var plugin = TestPlugin.FromWat(WaitWat, WaitManifest);
        var entered = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        var runtime = plugin.Create(WaitingHost(entered), new PluginRuntimeOptions { Timeout = TimeSpan.FromSeconds(30) });
        await runtime.StartAsync();

        var call = Task.Run(async () => await runtime.CallAsync("call_wait"));
        await entered.Task;
        await runtime.StopAsync();
        await FailsWith(PluginErrorKind.Cancelled, () => call);
        Assert.False(runtime.IsRunning);
    }

    private const string EmitWat = """
        (module
          (import "vyra" "host_emit_event" (func $emit (param i32 i32 i32 i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "slow.event")
          (func (export "vyra_alloc") (param i32) (result i32) (i32.const 1024))
          (func (export "emit") (call $emit (i32.const 0) (i32.const 10) (i32.const 0) (i32.const 4))))
        """;

    /// <summary>A UI bridge that hangs: it ignores or honours its token, as the test says.</summary>
    private sealed class HangingUiHost(bool honourToken) : BaseHostFunctions
    {
        public TaskCompletionSource<CancellationToken> Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default)
        {
            if (!eventName.StartsWith("slow", StringComparison.Ordinal)) return;
            Entered.TrySetResult(cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(10), honourToken ? cancellationToken : CancellationToken.None);
        }
    }

    [Theory(Timeout = 20_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Host_emit_event_into_a_hanging_ui_ends_near_the_deadline(bool honourToken)
    {
        using var plugin = TestPlugin.FromWat(EmitWat, TestPlugin.Manifest(exports: """[{ "name": "emit", "args": [] }]"""));
        var host = new HangingUiHost(honourToken);
        await using var runtime = plugin.Create(host, new PluginRuntimeOptions { Timeout = ShortTimeout });
        await runtime.StartAsync();

        // The host's bridge waits 10 s; the call ends with the 200 ms deadline whether or not the bridge honours its token.
        await FailsWithin(PluginErrorKind.Timeout, ShortTimeout + Margin, () => Task.Run(async () => await runtime.CallAsync("emit")));
        Assert.True((await host.Entered.Task).CanBeCanceled);
    }
}
