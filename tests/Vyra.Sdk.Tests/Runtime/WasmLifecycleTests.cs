using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Runtime;

/// <summary>Start, stop and init on the Wasmtime backend (VYRA's rules, atomic start).</summary>
public class WasmLifecycleTests
{
    private const string CounterWat = """
        (module
          (global $count (mut i32) (i32.const 0))
          (func (export "init") (param $start i32) (result i32)
            local.get $start global.set $count global.get $count)
          (func (export "increment") (param $step i32) (result i32)
            global.get $count local.get $step i32.add global.set $count global.get $count)
          (func (export "get_count") (result i32) global.get $count))
        """;

    private const string CounterManifest = """
        {"id":"counter","exports":[
          {"name":"init","args":[{"name":"start","type":"i32"}]},
          {"name":"increment","args":[{"name":"step","type":"i32"}]},
          {"name":"get_count","args":[]}]}
        """;

    [Fact]
    public async Task Init_runs_on_start_with_the_initial_state_and_is_notified()
    {
        var host = new RecordingHost();
        await using var runtime = PluginRuntime.Create("counter-widget", SamplePlugins.Counter, host, new Dictionary<string, object?> { ["start"] = 40 });
        await runtime.StartAsync();
        Assert.Equal(42, (await runtime.CallAsync("increment", SamplePlugins.Args(("step", 2))))["result"]);
        var (name, data) = host.Notifications.First();
        Assert.Equal("plugin.init.result", name);
        Assert.Equal(40, ((IReadOnlyDictionary<string, object?>)data["result"]!)["result"]);
    }

    [Fact]
    public async Task Manifest_defaults_fill_keys_the_caller_did_not_give()
    {
        using var plugin = TempPlugin.FromWat(CounterWat, CounterManifest.Replace("\"exports\"", "\"initial_state\":{\"start\":{\"type\":\"i32\",\"default\":9}},\"exports\""));
        await using var runtime = PluginRuntime.Create("counter", plugin.ModulePath);
        await runtime.StartAsync();
        Assert.Equal(9, (await runtime.CallAsync("get_count"))["result"]);
    }

    [Fact]
    public async Task Init_does_not_run_without_initial_state()
    {
        using var plugin = TempPlugin.FromWat(CounterWat, CounterManifest);
        var host = new RecordingHost();
        await using var runtime = PluginRuntime.Create("counter", plugin.ModulePath, host);
        await runtime.StartAsync();
        Assert.Empty(host.Notifications);
        Assert.Equal(0, (await runtime.CallAsync("get_count"))["result"]);
    }

    [Fact]
    public async Task Init_does_not_run_when_not_declared_even_if_exported()
    {
        using var plugin = TempPlugin.FromWat(CounterWat, CounterManifest.Replace("{\"name\":\"init\",\"args\":[{\"name\":\"start\",\"type\":\"i32\"}]},", ""));
        await using var runtime = PluginRuntime.Create("counter", plugin.ModulePath, initialState: new Dictionary<string, object?> { ["start"] = 5 });
        await runtime.StartAsync();
        Assert.Equal(0, (await runtime.CallAsync("get_count"))["result"]);
        await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("init", SamplePlugins.Args(("start", 1))));
    }

    [Fact]
    public async Task A_key_that_matches_no_init_arg_is_warned_about()
    {
        using var plugin = TempPlugin.FromWat(CounterWat, CounterManifest);
        var log = new ListLoggerFactory();
        await using var runtime = PluginRuntime.Create("counter", plugin.ModulePath, initialState: new Dictionary<string, object?> { ["start"] = 1, ["stray"] = 2 },
            options: new PluginRuntimeOptions { LoggerFactory = log });
        await runtime.StartAsync();
        Assert.Contains(log.Lines, l => l.Message.Contains("'stray' matches no argument of init"));
    }

    [Fact]
    public async Task Restart_builds_a_fresh_instance_and_runs_init_again()
    {
        await using var runtime = PluginRuntime.Create("counter-widget", SamplePlugins.Counter, initialState: new Dictionary<string, object?> { ["start"] = 10 });
        await runtime.StartAsync();
        await runtime.CallAsync("increment", SamplePlugins.Args(("step", 5)));
        Assert.Equal(15, (await runtime.CallAsync("get_count"))["result"]);
        await runtime.StopAsync();
        await runtime.StartAsync();
        Assert.Equal(10, (await runtime.CallAsync("get_count"))["result"]);
    }

    [Fact]
    public async Task A_failing_init_leaves_the_runtime_stopped_and_the_error_reaches_the_caller()
    {
        using var plugin = TempPlugin.FromWat("""
            (module (func (export "init") (param i32) (result i32) unreachable)
                    (func (export "get") (result i32) i32.const 1))
            """, """{"id":"bad-init","exports":[{"name":"init","args":[{"name":"start","type":"i32"}]},{"name":"get","args":[]}]}""");
        await using var runtime = PluginRuntime.Create("bad-init", plugin.ModulePath, initialState: new Dictionary<string, object?> { ["start"] = 1 });
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.False(runtime.IsRunning);
        var inner = Assert.IsType<PluginCallException>(ex.InnerException);
        Assert.Equal(PluginErrorKind.Trap, inner.Kind);
        Assert.Equal("init", inner.FunctionName);
        // Nothing is left half-started: a second attempt fails the same way.
        await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
    }

    [Fact]
    public async Task A_bad_manifest_fails_start_with_file_line_and_field()
    {
        using var plugin = TempPlugin.FromWat(CounterWat, "{\n\"id\": \"counter\",\n\"exports\": [{\"name\": \"get_count\", \"args\": [{\"name\": \"x\", \"type\": \"int\"}]}]\n}");
        await using var runtime = PluginRuntime.Create("counter", plugin.ModulePath);
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Equal(plugin.ManifestPath, ex.FilePath);
        Assert.Equal(3, ex.Line);
        Assert.Equal("$.exports[0].args[0].type", ex.Field);
        Assert.False(runtime.IsRunning);
    }

    [Fact]
    public async Task Without_a_manifest_and_with_AllowUndeclaredExports_every_module_function_is_callable_with_its_wasm_signature()
    {
        using var plugin = TempPlugin.FromWat(CounterWat);
        await using var runtime = (WasmRuntime)PluginRuntime.Create("counter", plugin.ModulePath, options: new PluginRuntimeOptions { AllowUndeclaredExports = true });
        await runtime.StartAsync();
        Assert.Null(runtime.Manifest);
        Assert.Equal(3, (await runtime.CallAsync("increment", SamplePlugins.Args(("arg0", 3))))["result"]);
    }

    [Fact]
    public async Task A_manifest_without_exports_answers_only_ping_by_VYRAs_rule()
    {
        using var plugin = TempPlugin.FromWat(CounterWat, """{"id":"counter","version":"1.0.0"}""");
        await using var runtime = PluginRuntime.Create("counter", plugin.ModulePath);
        await runtime.StartAsync();
        Assert.Equal("ok", (await runtime.CallAsync("ping"))["status"]);
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("get_count"));
        Assert.Equal(PluginErrorKind.UnknownFunction, ex.Kind);
        Assert.Contains("AllowUndeclaredExports", ex.Reason);
    }

    [Fact]
    public async Task Legacy_string_exports_take_their_signature_from_the_module()
    {
        using var plugin = TempPlugin.FromWat(CounterWat, """{"id":"counter","exports":["increment","get_count"]}""");
        await using var runtime = PluginRuntime.Create("counter", plugin.ModulePath);
        await runtime.StartAsync();
        Assert.Equal(4, (await runtime.CallAsync("increment", SamplePlugins.Args(("arg0", 4))))["result"]);
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("init"));
        Assert.Equal(PluginErrorKind.UnknownFunction, ex.Kind);
        Assert.Contains("not declared", ex.Reason);
    }

    [Fact]
    public async Task Dispose_stops_the_runtime()
    {
        var runtime = PluginRuntime.Create("counter-widget", SamplePlugins.Counter);
        await runtime.StartAsync();
        await runtime.DisposeAsync();
        Assert.False(runtime.IsRunning);
    }
}
