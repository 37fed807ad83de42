using System.Text.Json;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Runtime;

/// <summary>The scalar ABI of CallAsync on Wasmtime: argument order, coercion, result shapes, start-time checks.</summary>
public class WasmCallTests
{
    private static async Task<PluginRuntime> StartedMathKit()
    {
        var runtime = PluginRuntime.Create("math-kit", SamplePlugins.MathKit);
        await runtime.StartAsync();
        return runtime;
    }

    [Fact]
    public async Task Scalars_of_every_width_and_multi_value_results()
    {
        await using var math = await StartedMathKit();
        Assert.Equal(9_000_000_000L, (await math.CallAsync("add_i64", SamplePlugins.Args(("a", 4_000_000_000L), ("b", "5000000000"))))["result"]);
        Assert.Equal(7.5f, (await math.CallAsync("scale", SamplePlugins.Args(("x", 2.5), ("factor", 3))))["result"]);
        Assert.Equal(5.0, (await math.CallAsync("hypot", SamplePlugins.Args(("a", 3), ("b", "4.0"))))["result"]);
        Assert.Equal(new List<object?> { 3, 2 }, (await math.CallAsync("divmod", SamplePlugins.Args(("a", 17), ("b", 5))))["result"]);
        Assert.Equal(7540113804746346429L, (await math.CallAsync("fib", SamplePlugins.Args(("n", 92))))["result"]);
    }

    [Fact]
    public async Task Arguments_are_taken_by_name_in_manifest_order_missing_is_zero_extra_is_ignored()
    {
        await using var math = await StartedMathKit();
        Assert.Equal(new List<object?> { 3, 2 }, (await math.CallAsync("divmod", SamplePlugins.Args(("b", 5), ("a", 17), ("zzz", "ignored"))))["result"]);
        Assert.Equal(5L, (await math.CallAsync("add_i64", SamplePlugins.Args(("b", 5))))["result"]);
    }

    [Fact]
    public async Task Values_are_coerced_like_python_int()
    {
        await using var counter = PluginRuntime.Create("counter-widget", SamplePlugins.Counter);
        await counter.StartAsync();
        await counter.CallAsync("increment", SamplePlugins.Args(("step", " 4 ")));
        await counter.CallAsync("increment", SamplePlugins.Args(("step", 2.9)));
        await counter.CallAsync("increment", SamplePlugins.Args(("step", true)));
        using var doc = JsonDocument.Parse("{\"step\": 10}");
        await counter.CallAsync("increment", SamplePlugins.Args(("step", doc.RootElement.GetProperty("step"))));
        Assert.Equal(17, (await counter.CallAsync("get_count"))["result"]);
    }

    [Fact]
    public async Task I32_results_come_back_signed_after_wrapping()
    {
        await using var counter = PluginRuntime.Create("counter-widget", SamplePlugins.Counter);
        await counter.StartAsync();
        Assert.Equal(int.MinValue, (await counter.CallAsync("increment", SamplePlugins.Args(("step", 2147483648L))))["result"]);
        Assert.Equal(-1, (await counter.CallAsync("increment", SamplePlugins.Args(("step", int.MaxValue))))["result"]);
    }

    [Fact]
    public async Task An_uncoercible_argument_is_InvalidArgument_naming_the_argument()
    {
        await using var counter = PluginRuntime.Create("counter-widget", SamplePlugins.Counter);
        await counter.StartAsync();
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await counter.CallAsync("increment", SamplePlugins.Args(("step", "four"))));
        Assert.Equal(PluginErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("argument 'step' (i32)", ex.Reason);
        Assert.Contains("invalid literal for int()", ex.Reason);
        Assert.IsType<FormatException>(ex.InnerException);
        Assert.Equal(0, (await counter.CallAsync("get_count"))["result"]);
    }

    [Fact]
    public async Task Void_exports_return_an_empty_dictionary()
    {
        using var plugin = TempPlugin.FromWat("""(module (global $g (mut i32) (i32.const 0)) (func (export "poke") global.get $g i32.const 1 i32.add global.set $g))""",
            """{"id":"v","exports":[{"name":"poke","args":[],"returns":"void"}]}""");
        await using var runtime = PluginRuntime.Create("v", plugin.ModulePath);
        await runtime.StartAsync();
        Assert.Empty(await runtime.CallAsync("poke"));
    }

    [Fact]
    public async Task Ping_is_built_in_and_never_overridden_by_an_export()
    {
        using var plugin = TempPlugin.FromWat("""(module (func (export "ping") (result i32) i32.const 99))""", """{"id":"pinger","exports":[{"name":"ping","args":[]}]}""");
        await using var runtime = PluginRuntime.Create("pinger", plugin.ModulePath);
        await runtime.StartAsync();
        Assert.Equal("ok", (await runtime.CallAsync("ping"))["status"]);
    }

    [Fact]
    public async Task Only_declared_exports_are_callable()
    {
        using var plugin = TempPlugin.FromWat("""(module (func (export "a") (result i32) i32.const 1) (func (export "hidden") (result i32) i32.const 2))""",
            """{"id":"decl","exports":[{"name":"a","args":[]}]}""");
        await using var runtime = PluginRuntime.Create("decl", plugin.ModulePath);
        await runtime.StartAsync();
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("hidden"));
        Assert.Equal(PluginErrorKind.UnknownFunction, ex.Kind);
        Assert.Contains("not declared", ex.Reason);
    }

    [Theory]
    [InlineData("""{"id":"lie","exports":[{"name":"add","args":[{"name":"a","type":"i64"},{"name":"b","type":"i32"}]}]}""", "export 'add': the manifest declares (a: i64, b: i32), i.e. wasm parameters (i64, i32), but the module has (i32, i32) -> i32")]
    [InlineData("""{"id":"lie","exports":[{"name":"add","args":[{"name":"a","type":"i32"}]}]}""", "but the module has (i32, i32) -> i32")]
    [InlineData("""{"id":"lie","exports":[{"name":"add","args":[{"name":"a","type":"i32"},{"name":"b","type":"i32"}],"returns":"f64"}]}""", "the manifest declares returns f64, i.e. wasm results () -> f64, but the module has (i32, i32) -> i32")]
    [InlineData("""{"id":"lie","exports":[{"name":"missing","args":[]}]}""", "export 'missing' is declared in the manifest but the module does not export a function of that name")]
    public async Task A_manifest_that_lies_about_signatures_fails_start(string manifest, string message)
    {
        using var plugin = TempPlugin.FromWat("""(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))""", manifest);
        await using var runtime = PluginRuntime.Create("lie", plugin.ModulePath);
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains(message, ex.Message);
        Assert.Contains(plugin.ModulePath, ex.Message);
        Assert.False(runtime.IsRunning);
    }

    [Fact]
    public async Task A_module_whose_result_the_generator_would_assume_wrongly_is_told_which_returns_to_declare()
    {
        using var plugin = TempPlugin.FromWat("""(module (func (export "v") (result v128) v128.const i32x4 0 0 0 0))""", """{"id":"simd","exports":[{"name":"v","args":[]}]}""");
        await using var runtime = PluginRuntime.Create("simd", plugin.ModulePath);
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains("declare \"returns\"", ex.Message);
    }

    [Fact]
    public async Task Concurrent_callers_on_one_runtime_are_serialized_and_the_count_is_exact()
    {
        await using var counter = PluginRuntime.Create("counter-widget", SamplePlugins.Counter);
        await counter.StartAsync();
        const int threads = 8, calls = 500;
        var one = SamplePlugins.Args(("step", 1));
        await Task.WhenAll(Enumerable.Range(0, threads).Select(_ => Task.Run(async () =>
        {
            // The plugin's 1 s timeout also bounds the wait: on a loaded machine a caller may be told Overloaded (the
            // call did not run), and retrying keeps the count exact.
            for (var i = 0; i < calls; i++) await Sandbox.SandboxChecks.CallRetryingOverloaded(counter, "increment", one);
        })));
        Assert.Equal(threads * calls, (await counter.CallAsync("get_count"))["result"]);
    }

    [Fact]
    public async Task A_call_racing_a_stop_succeeds_fails_with_NotStarted_or_is_cancelled_by_the_stop()
    {
        await using var counter = PluginRuntime.Create("counter-widget", SamplePlugins.Counter);
        await counter.StartAsync();
        var callers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                try
                {
                    await counter.CallAsync("increment", SamplePlugins.Args(("step", 1)));
                }
                catch (PluginCallException ex)
                {
                    // Waiting callers get NotStarted; a call whose guest code is running when the stop lands is
                    // interrupted as Cancelled (docs/architecture.md, "Stopping"). Nothing else may happen.
                    if (ex.Kind != PluginErrorKind.NotStarted)
                    {
                        Assert.Equal(PluginErrorKind.Cancelled, ex.Kind);
                        Assert.Contains("the runtime was stopped during the call", ex.Message);
                    }
                }
            }
        })).ToArray();
        for (var i = 0; i < 20; i++)
        {
            await counter.StopAsync();
            await counter.StartAsync();
        }
        await Task.WhenAll(callers);
    }
}
