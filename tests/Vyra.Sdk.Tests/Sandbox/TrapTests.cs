using Vyra.Sdk;
using Xunit;
using static Vyra.Sdk.Tests.Sandbox.SandboxChecks;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>Guests that trap mid-call, and host imports that throw: the call fails with its kind, the runtime lives on.</summary>
public class TrapTests
{
    private const string StatefulWat = """
        (module
          (global $count (mut i32) (i32.const 0))
          (func (export "init") (param $start i32) (result i32)
            (global.set $count (local.get $start))
            (global.get $count))
          ;; Changes state, then traps: what happens to the change is the after-trap policy.
          (func (export "bump_then_trap") (result i32)
            (global.set $count (i32.add (global.get $count) (i32.const 1)))
            unreachable)
          (func (export "bump") (result i32)
            (global.set $count (i32.add (global.get $count) (i32.const 1)))
            (global.get $count))
          (func (export "get_count") (result i32) (global.get $count)))
        """;

    private static readonly string StatefulManifest = TestPlugin.Manifest(
        exports: """
            [{ "name": "init", "args": [{ "name": "start", "type": "i32" }], "returns": "i32" },
             { "name": "bump_then_trap", "args": [], "returns": "i32" },
             { "name": "bump", "args": [], "returns": "i32" },
             { "name": "get_count", "args": [], "returns": "i32" }]
            """,
        initialState: """{ "start": { "type": "i32", "default": 5 } }""");

    [Fact]
    public async Task Unreachable_mid_call_under_the_default_policy_keeps_the_state_the_trap_left()
    {
        using var plugin = TestPlugin.FromWat(StatefulWat, StatefulManifest);
        await using var runtime = plugin.Create();
        Assert.False(runtime.Options.RecycleInstanceAfterTrap);
        await runtime.StartAsync();
        Assert.Equal(5, await CallInt(runtime, "get_count"));

        var ex = await FailsWith(PluginErrorKind.Trap, async () => await runtime.CallAsync("bump_then_trap"));
        Assert.Contains("unreachable", ex.Message);
        Assert.True(runtime.IsRunning);
        Assert.Equal(6, await CallInt(runtime, "get_count")); // the increment before the trap stays
        Assert.Equal(7, await CallInt(runtime, "bump"));
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Unreachable_mid_call_under_the_recycle_policy_rebuilds_the_instance_and_runs_init_again()
    {
        using var plugin = TestPlugin.FromWat(StatefulWat, StatefulManifest);
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { RecycleInstanceAfterTrap = true });
        await runtime.StartAsync();
        Assert.Equal(6, await CallInt(runtime, "bump"));

        await FailsWith(PluginErrorKind.Trap, async () => await runtime.CallAsync("bump_then_trap"));
        Assert.True(runtime.IsRunning);
        Assert.Equal(5, await CallInt(runtime, "get_count")); // fresh globals, init(start = 5) again
        Assert.Equal(6, await CallInt(runtime, "bump"));
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Under_the_recycle_policy_a_bad_argument_is_not_a_trap_and_keeps_the_state()
    {
        using var plugin = TestPlugin.FromWat(StatefulWat, StatefulManifest);
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { RecycleInstanceAfterTrap = true });
        await runtime.StartAsync();
        Assert.Equal(6, await CallInt(runtime, "bump"));

        await FailsWith(PluginErrorKind.InvalidArgument, async () => await runtime.CallAsync("init", Args(("start", "not a number"))));
        await FailsWith(PluginErrorKind.UnknownFunction, async () => await runtime.CallAsync("no_such_function"));
        Assert.Equal(6, await CallInt(runtime, "get_count"));
    }

    [Fact]
    public async Task Under_the_recycle_policy_a_failed_rebuild_stops_the_runtime_and_it_can_be_started_again()
    {
        // init asks the host whether it may start; the host refuses the second time, so the rebuild after a trap fails.
        var allowed = 1;
        var host = new TestHost(imports => imports.Add("may_start", [], [PluginValueType.I32], call => call.ReturnInt32(Interlocked.Decrement(ref allowed) >= 0 ? 1 : 0)));
        using var plugin = TestPlugin.FromWat("""
            (module
              (import "vyra" "may_start" (func $may_start (result i32)))
              (global $count (mut i32) (i32.const 0))
              (func (export "init") (param $start i32) (result i32)
                (if (i32.eqz (call $may_start)) (then unreachable))
                (global.set $count (local.get $start))
                (global.get $count))
              (func (export "bump_then_trap") (result i32)
                (global.set $count (i32.add (global.get $count) (i32.const 1)))
                unreachable)
              (func (export "get_count") (result i32) (global.get $count)))
            """, StatefulManifest.Replace("""{ "name": "bump", "args": [], "returns": "i32" },""", ""));
        await using var runtime = plugin.Create(host, new PluginRuntimeOptions { RecycleInstanceAfterTrap = true });
        await runtime.StartAsync();
        Assert.Equal(5, await CallInt(runtime, "get_count"));

        await FailsWith(PluginErrorKind.Trap, async () => await runtime.CallAsync("bump_then_trap"));
        Assert.False(runtime.IsRunning);
        await FailsWith(PluginErrorKind.NotStarted, async () => await runtime.CallAsync("get_count"));
        await runtime.StopAsync(); // safe on a runtime the failed rebuild stopped

        Interlocked.Exchange(ref allowed, 1);
        await runtime.StartAsync();
        Assert.Equal(5, await CallInt(runtime, "get_count"));
        await AssertHostHealthy();
    }

    private const string ArithmeticWat = """
        (module
          (table 1 funcref)
          (type $unary (func (result i32)))
          (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
          (func (export "div_u") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
          (func (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
          (func (export "div_s64") (param i64 i64) (result i64) (i64.div_s (local.get 0) (local.get 1)))
          (func (export "to_int") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
          (func (export "call_null") (result i32) (call_indirect (type $unary) (i32.const 0)))
          (func (export "ok") (result i32) (i32.div_s (i32.const 84) (i32.const 2))))
        """;

    public static TheoryData<string, object[], string> ArithmeticTraps => new()
    {
        { "div_s", [1, 0], "divide by zero" },
        { "div_u", [1, 0], "divide by zero" },
        { "rem_s", [1, 0], "divide by zero" },
        { "div_s64", [1L, 0L], "divide by zero" },
        { "div_s", [int.MinValue, -1], "overflow" },
        { "div_s64", [long.MinValue, -1L], "overflow" },
        { "to_int", [double.NaN], "conversion" },
        { "to_int", [1e300], "overflow" },
        { "call_null", [], "uninitialized element" },
    };

    [Theory]
    [MemberData(nameof(ArithmeticTraps))]
    public async Task Integer_divide_by_zero_and_friends_are_traps(string function, object[] arguments, string cause)
    {
        using var plugin = TestPlugin.FromWat(ArithmeticWat);
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        var data = new Dictionary<string, object?>();
        for (var i = 0; i < arguments.Length; i++) data[$"arg{i}"] = arguments[i];
        var ex = await FailsWith(PluginErrorKind.Trap, async () => await runtime.CallAsync(function, data));
        Assert.Contains(cause, ex.Message);
        Assert.Equal(function, ex.FunctionName);
        Assert.Equal(42, await CallInt(runtime, "ok"));
        Assert.Equal(3, await CallInt(runtime, "div_s", Args(("arg0", 7), ("arg1", 2))));
        await AssertHostHealthy();
    }

    private const string CallsHostWat = """
        (module
          (import "vyra" "explode" (func $explode (param i32) (result i32)))
          (global $calls (mut i32) (i32.const 0))
          (func (export "call_host") (param $x i32) (result i32)
            (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
            (call $explode (local.get $x)))
          (func (export "calls") (result i32) (global.get $calls)))
        """;

    public static TheoryData<string> HostExceptionTypes => new() { "invalid-operation", "format", "argument", "operation-canceled", "io", "key-not-found" };

    private static Exception MakeHostException(string kind) => kind switch
    {
        "invalid-operation" => new InvalidOperationException("the database is down"),
        "format" => new FormatException("the host could not parse its own config"),
        "argument" => new ArgumentException("bad value", "x"),
        "operation-canceled" => new OperationCanceledException("the host gave up"),
        "io" => new IOException("disk full"),
        "key-not-found" => new KeyNotFoundException("no such key"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(HostExceptionTypes))]
    public async Task A_host_import_that_throws_is_a_host_function_error_with_the_hosts_exception_and_the_runtime_stays_usable(string exceptionKind)
    {
        Exception? thrown = null;
        var host = new TestHost(imports => imports.Add("explode", [PluginValueType.I32], [PluginValueType.I32], call =>
        {
            var x = call.GetInt32(0);
            if (x < 0)
            {
                thrown = MakeHostException(exceptionKind);
                throw thrown;
            }
            call.ReturnInt32(x * 2);
        }));
        using var plugin = TestPlugin.FromWat(CallsHostWat);
        await using var runtime = plugin.Create(host);
        await runtime.StartAsync();

        var ex = await FailsWith(PluginErrorKind.HostFunction, async () => await runtime.CallAsync("call_host", Args(("arg0", -1))));
        Assert.Same(thrown, ex.InnerException);
        Assert.Contains(thrown!.Message, ex.Message);

        Assert.Equal(42, await CallInt(runtime, "call_host", Args(("arg0", 21))));
        Assert.Equal(2, await CallInt(runtime, "calls"));
        await AssertHostHealthy();
    }
}
