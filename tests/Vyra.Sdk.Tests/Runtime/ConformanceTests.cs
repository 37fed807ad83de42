using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Runtime;

/// <summary>Rules both backends share (the backend seam): one suite, run against each.</summary>
public class ConformanceTests
{
    public static TheoryData<string> Backends => ["wasm", "stub"];

    private static PluginRuntime Create(string backend, IHostFunctions? host = null) =>
        PluginRuntime.Create("counter-widget", SamplePlugins.Counter, host, options: new PluginRuntimeOptions { PreferStub = backend == "stub" });

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Calls_before_start_fail_with_NotStarted(string backend)
    {
        await using var runtime = Create(backend);
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("ping"));
        Assert.Equal(PluginErrorKind.NotStarted, ex.Kind);
        Assert.Equal("[counter-widget] call 'ping' failed: the plugin is not started", ex.Message);
        Assert.Equal("counter-widget", ex.PluginId);
        Assert.Equal("ping", ex.FunctionName);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Ping_reports_the_backend(string backend)
    {
        await using var runtime = Create(backend);
        await runtime.StartAsync();
        var pong = await runtime.CallAsync("ping");
        Assert.Equal("ok", pong["status"]);
        Assert.Equal("counter-widget", pong["plugin_id"]);
        Assert.Equal(backend, pong["runtime"]);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Start_is_idempotent_and_stop_is_safe_without_start(string backend)
    {
        await using var runtime = Create(backend);
        await runtime.StopAsync();
        Assert.False(runtime.IsRunning);
        await runtime.StartAsync();
        await runtime.StartAsync();
        Assert.True(runtime.IsRunning);
        await runtime.StopAsync();
        await runtime.StopAsync();
        Assert.False(runtime.IsRunning);
        await runtime.DisposeAsync();
        Assert.False(runtime.IsRunning);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Unknown_functions_fail_with_UnknownFunction(string backend)
    {
        await using var runtime = Create(backend);
        await runtime.StartAsync();
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("no_such_thing"));
        Assert.Equal(PluginErrorKind.UnknownFunction, ex.Kind);
        Assert.StartsWith("[counter-widget] call 'no_such_thing' failed: ", ex.Message);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_cancelled_token_fails_with_Cancelled_and_an_OperationCanceledException_inside(string backend)
    {
        await using var runtime = Create(backend);
        await runtime.StartAsync();
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync(backend == "stub" ? "get_state" : "get_count", null, new CancellationToken(true)));
        Assert.Equal(PluginErrorKind.Cancelled, ex.Kind);
        Assert.IsAssignableFrom<OperationCanceledException>(ex.InnerException);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Successful_calls_are_notified_and_ping_is_not(string backend)
    {
        var host = new RecordingHost();
        await using var runtime = Create(backend, host);
        await runtime.StartAsync();
        await runtime.CallAsync("ping");
        var result = await runtime.CallAsync(backend == "stub" ? "get_state" : "get_count");
        // The counter's manifest has an initial state, so the wasm backend also ran (and notified) init at start.
        var (name, data) = Assert.Single(host.Notifications, n => n.Event != "plugin.init.result");
        Assert.Equal(backend == "stub" ? "plugin.get_state.result" : "plugin.get_count.result", name);
        Assert.Equal("counter-widget", data["plugin_id"]);
        Assert.Same(result, data["result"]);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_failing_notification_does_not_fail_the_call(string backend)
    {
        var host = new RecordingHost { FailNotifications = true };
        await using var runtime = Create(backend, host);
        await runtime.StartAsync();
        var result = await runtime.CallAsync(backend == "stub" ? "get_state" : "get_count");
        Assert.NotNull(result);
    }
}
