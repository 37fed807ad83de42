using System.Text.Json;

namespace Vyra.Cli.Tests;

public sealed class CallTests
{
    private static JsonElement Result(ToolResult run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        using var doc = JsonDocument.Parse(run.Stdout);
        return doc.RootElement.GetProperty("result").Clone();
    }

    [Fact]
    public void A_call_prints_the_result_as_json()
    {
        var run = VyraTool.Run("call", VyraTool.Sample("math-kit"), "add_i64", "a=2", "b=40");
        Assert.Equal("{\"result\":42}", run.Stdout.Trim());
        Assert.Equal(42, Result(run).GetInt64());
    }

    [Fact]
    public void A_component_plugin_is_called_the_same_way_and_a_missing_host_import_is_named()
    {
        var calc = Path.Combine(AppContext.BaseDirectory, "component-plugins", "calc", "1.0.0");
        Assert.Equal("calc 1.0.0", Result(VyraTool.Run("call", calc, "version")).GetString());
        // compute logs through the world's import `log`, which the tool does not provide: a clear failure, not a crash.
        var compute = VyraTool.Run("call", calc, "compute", "req={\"op\":\"add\",\"a\":1,\"b\":2,\"note\":\"n\"}");
        Assert.NotEqual(0, compute.ExitCode);
        Assert.Contains("the host provides no implementation of the import 'log'", compute.Stderr + compute.Stdout);
    }

    [Fact]
    public void Values_are_coerced_like_python_int_and_multi_value_results_are_arrays()
    {
        var result = Result(VyraTool.Run("call", VyraTool.Sample("math-kit"), "divmod", "a= 1_7 ", "b=5"));
        Assert.Equal([3, 2], result.EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void Memory_values_round_trip_and_guest_logs_go_to_stderr()
    {
        var greet = VyraTool.Run("call", VyraTool.Sample("text-tools"), "greet", "name=Bob");
        Assert.Equal("Hello, Bob!", Result(greet).GetString());
        Assert.Contains("log: greet: Bob", greet.Stderr);

        // bytes are given and printed as base64; json arguments are parsed, json results printed as they are.
        Assert.Equal(6, Result(VyraTool.Run("call", VyraTool.Sample("text-tools"), "byte_sum", "data=AQID")).GetInt32());
        var describe = Result(VyraTool.Run("call", VyraTool.Sample("text-tools"), "describe", "doc={\"x\": [1, 2]}"));
        Assert.Equal(JsonValueKind.Object, describe.ValueKind);
        Assert.True(describe.GetProperty("length").GetInt32() > 0);
    }

    [Fact]
    public void Json_arguments_merge_with_key_value_pairs_winning()
    {
        Assert.Equal(5.0, Result(VyraTool.Run("call", VyraTool.Sample("math-kit"), "hypot", "--args", "{\"a\": 3, \"b\": 4}")).GetDouble());
        Assert.Equal(5.0, Result(VyraTool.Run("call", VyraTool.Sample("math-kit"), "hypot", "--args", "{\"a\": 3, \"b\": 100}", "b=4")).GetDouble());
    }

    [Fact]
    public void Initial_state_reaches_init()
    {
        Assert.Equal(41, Result(VyraTool.Run("call", VyraTool.Sample("counter-widget"), "get_count", "--state", "start=41")).GetInt32());
        Assert.Equal(10, Result(VyraTool.Run("call", VyraTool.Sample("counter-widget"), "increment", "step=1", "--state-json", "{\"start\": 9}")).GetInt32());
    }

    [Fact]
    public void The_stub_backend_answers_ping_and_state()
    {
        var ping = VyraTool.Run("call", VyraTool.Sample("counter-widget"), "ping", "--stub");
        Assert.True(ping.ExitCode == 0, ping.ToString());
        using (var doc = JsonDocument.Parse(ping.Stdout))
        {
            Assert.Equal("stub", doc.RootElement.GetProperty("runtime").GetString());
            Assert.Equal("counter-widget", doc.RootElement.GetProperty("plugin_id").GetString());
        }

        var state = VyraTool.Run("call", VyraTool.Sample("counter-widget"), "get_state", "--stub", "--state", "start=5");
        Assert.True(state.ExitCode == 0, state.ToString());
        Assert.Equal("{\"start\":\"5\"}", state.Stdout.Trim());

        var wasmPing = VyraTool.Run("call", VyraTool.Sample("counter-widget"), "ping");
        Assert.Contains("\"runtime\":\"wasm\"", wasmPing.Stdout);
    }

    [Fact]
    public void An_invalid_argument_is_reported_with_its_kind_and_exit_code()
    {
        var run = VyraTool.Run("call", VyraTool.Sample("math-kit"), "divmod", "a=seven", "b=2");
        Assert.True(run.ExitCode == 5, run.ToString());
        Assert.Equal("error: [math-kit] call 'divmod' failed: argument 'a' (i32): invalid literal for int() with base 10: 'seven' (InvalidArgument)", run.Stderr.Trim());
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void An_unknown_function_is_reported_with_its_kind_and_exit_code()
    {
        var run = VyraTool.Run("call", VyraTool.Sample("math-kit"), "no_such_function");
        Assert.True(run.ExitCode == 4, run.ToString());
        Assert.StartsWith("error: [math-kit] call 'no_such_function' failed: ", run.Stderr);
        Assert.EndsWith("(UnknownFunction)", run.Stderr.Trim());
    }

    [Fact]
    public void A_trap_is_reported_with_its_kind_and_exit_code()
    {
        var run = VyraTool.Run("call", VyraTool.Sample("math-kit"), "divmod", "a=7", "b=0");
        Assert.True(run.ExitCode == 6, run.ToString());
        Assert.Contains("divide by zero", run.Stderr);
        Assert.EndsWith("(Trap)", run.Stderr.Trim());
    }

    [Fact]
    public void Timeout_and_fuel_limits_fail_with_their_own_exit_codes()
    {
        var timeout = VyraTool.Run("call", VyraTool.Sample("math-kit"), "fib", "n=2000000000", "--timeout", "20");
        Assert.True(timeout.ExitCode == 7, timeout.ToString());
        Assert.EndsWith("(Timeout)", timeout.Stderr.Trim());

        var fuel = VyraTool.Run("call", VyraTool.Sample("math-kit"), "fib", "n=2000000000", "--fuel", "10000");
        Assert.True(fuel.ExitCode == 8, fuel.ToString());
        Assert.EndsWith("(OutOfFuel)", fuel.Stderr.Trim());
    }

    [Fact]
    public void A_plugin_that_cannot_start_exits_3()
    {
        var run = VyraTool.Run("call", VyraTool.Sample("host-calc"), "add", "a=1", "b=2");
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.StartsWith("error: the plugin cannot be loaded:", run.Stderr);
        Assert.Contains("host_add", run.Stderr);
    }

    [Theory]
    [InlineData("call")]
    [InlineData("call", "{sample}")]
    [InlineData("call", "{sample}", "fib", "n")]
    [InlineData("call", "{sample}", "fib", "--args", "[1, 2]")]
    [InlineData("call", "{sample}", "fib", "--args", "{not json")]
    [InlineData("call", "{sample}", "fib", "--state", "a=1", "--state-json", "{}")]
    [InlineData("call", "{sample}", "fib", "--timeout", "soon")]
    [InlineData("nonsense")]
    public void Usage_errors_exit_2(params string[] args)
    {
        var run = VyraTool.Run([.. args.Select(a => a.Replace("{sample}", VyraTool.Sample("math-kit")))]);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.StartsWith("error: ", run.Stderr);
    }

    [Fact]
    public void Call_help_lists_its_options_and_points_to_the_exit_code_table()
    {
        var run = VyraTool.Run("call", "--help");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("--stub", run.Stdout);
        Assert.Contains("--args", run.Stdout);
        Assert.Contains("vyra --help", run.Stdout);
    }
}
