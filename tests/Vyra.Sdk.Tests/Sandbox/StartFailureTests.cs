using System.Diagnostics;
using Vyra.Sdk;
using Xunit;
using static Vyra.Sdk.Tests.Sandbox.SandboxChecks;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>
/// Plugins that cannot start: traps and endless loops in the start function, <c>_initialize</c> and <c>init</c>;
/// imports the manifest or the host does not allow; manifests that lie; broken module bytes. Every one ends in a
/// <see cref="PluginLoadException"/> with a runtime that is not running, and a host that goes on.
/// </summary>
public class StartFailureTests
{
    private const string FixedWat = """
        (module
          (global $g (mut i32) (i32.const 0))
          (func (export "init") (param $start i32) (result i32) (global.set $g (local.get $start)) (global.get $g))
          (func (export "get") (result i32) (global.get $g)))
        """;

    private static async Task<PluginLoadException> StartFails(PluginRuntime runtime, TimeSpan? within = null)
    {
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        watch.Stop();
        // Seconds for a start whose timeout is far shorter: a hang guard, not a timing check.
        if (within is { } limit) Assert.True(watch.Elapsed < limit, $"the failed start took {watch.Elapsed.TotalMilliseconds:F0} ms");
        Assert.False(runtime.IsRunning);
        await FailsWith(PluginErrorKind.NotStarted, async () => await runtime.CallAsync("get"));
        return ex;
    }

    /// <summary>After a failed start: fix the module on disk, start the same runtime again, call it.</summary>
    private static async Task StartsAfterTheFix(TestPlugin plugin, PluginRuntime runtime, int expected)
    {
        plugin.WriteModule(FixedWat);
        await runtime.StartAsync();
        Assert.True(runtime.IsRunning);
        Assert.Equal(expected, await CallInt(runtime, "get"));
    }

    [Fact]
    public async Task Trap_in_the_start_function_fails_the_start_and_the_runtime_can_start_once_fixed()
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (func $boom unreachable)
              (start $boom)
              (func (export "get") (result i32) (i32.const 1)))
            """);
        await using var runtime = plugin.Create();

        var ex = await StartFails(runtime);
        Assert.Contains(plugin.ModulePath, ex.Message);
        Assert.Contains("unreachable", ex.ToString());
        // Twice: a failed start leaves nothing half-built behind that would change the second answer.
        await StartFails(runtime);

        await StartsAfterTheFix(plugin, runtime, 0);
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Endless_loop_in_the_start_function_fails_the_start_within_the_timeout()
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (func $spin (loop $forever (br $forever)))
              (start $spin)
              (func (export "get") (result i32) (i32.const 1)))
            """);
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { Timeout = TimeSpan.FromMilliseconds(200) });

        var ex = await StartFails(runtime, within: TimeSpan.FromSeconds(3));
        Assert.Contains("timed out", ex.Message);
        await StartsAfterTheFix(plugin, runtime, 0);
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Trap_in_initialize_fails_the_start()
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (global $ready (mut i32) (i32.const 0))
              (func (export "_initialize") (global.set $ready (i32.const 1)) unreachable)
              (func (export "get") (result i32) (global.get $ready)))
            """);
        await using var runtime = plugin.Create();

        var ex = await StartFails(runtime);
        Assert.Contains(plugin.ModulePath, ex.Message);
        await StartsAfterTheFix(plugin, runtime, 0);
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Endless_loop_in_initialize_fails_the_start_within_the_timeout()
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (func (export "_initialize") (loop $forever (br $forever)))
              (func (export "get") (result i32) (i32.const 1)))
            """, TestPlugin.Manifest(limits: """{ "timeout_ms": 200 }"""));
        await using var runtime = plugin.Create();

        await StartFails(runtime, within: TimeSpan.FromSeconds(3));
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Trap_in_init_fails_the_start_and_the_next_start_runs_init_on_a_fresh_instance()
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (global $g (mut i32) (i32.const 0))
              (func (export "init") (param $start i32) (result i32)
                (global.set $g (local.get $start))
                (if (i32.lt_s (local.get $start) (i32.const 0)) (then unreachable))
                (global.get $g))
              (func (export "get") (result i32) (global.get $g)))
            """, TestPlugin.Manifest(exports: """
                [{ "name": "init", "args": [{ "name": "start", "type": "i32" }], "returns": "i32" },
                 { "name": "get", "args": [], "returns": "i32" }]
                """));
        await using (var bad = plugin.Create(initialState: Args(("start", -1))))
        {
            var ex = await StartFails(bad);
            var inner = Assert.IsType<PluginCallException>(ex.InnerException);
            Assert.Equal(PluginErrorKind.Trap, inner.Kind);
            Assert.Equal("init", inner.FunctionName);
            Assert.Contains("unreachable", ex.Message);
        }

        await using var good = plugin.Create(initialState: Args(("start", 9)));
        await good.StartAsync();
        Assert.Equal(9, await CallInt(good, "get"));
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Endless_loop_in_init_fails_the_start_within_the_timeout()
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (func (export "init") (param $start i32) (result i32) (loop $forever (br $forever)) (i32.const 0))
              (func (export "get") (result i32) (i32.const 1)))
            """, TestPlugin.Manifest(exports: """
                [{ "name": "init", "args": [{ "name": "start", "type": "i32" }], "returns": "i32" },
                 { "name": "get", "args": [], "returns": "i32" }]
                """));
        await using var runtime = plugin.Create(
            options: new PluginRuntimeOptions { Timeout = TimeSpan.FromMilliseconds(200) },
            initialState: Args(("start", 1)));

        var ex = await StartFails(runtime, within: TimeSpan.FromSeconds(3));
        Assert.Equal(PluginErrorKind.Timeout, Assert.IsType<PluginCallException>(ex.InnerException).Kind);
        await AssertHostHealthy();
    }

    // ---- imports ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Imports_the_manifest_does_not_declare_or_the_host_does_not_provide_are_each_named()
    {
        var host = new TestHost(imports => imports.Add("tick", [], [PluginValueType.I32], call => call.ReturnInt32(1)));
        using var plugin = TestPlugin.FromWat("""
            (module
              (import "vyra" "host_log" (func (param i32 i32)))
              (import "vyra" "host_emit_event" (func (param i32 i32 i32 i32)))
              (import "env" "tick" (func (result i32)))
              (import "vyra" "launch_missiles" (func (param i32)))
              (import "env" "read_file" (func (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
              (import "env" "shared_memory" (memory 1))
              (func (export "get") (result i32) (i32.const 1)))
            """, TestPlugin.Manifest(
                exports: """[{ "name": "get", "args": [], "returns": "i32" }]""",
                imports: """["host_log", "launch_missiles"]"""));
        await using var runtime = plugin.Create(host);

        var ex = await StartFails(runtime);
        // Declared and provided: fine, not mentioned.
        Assert.DoesNotContain("host_log", ex.Message);
        // Provided by the host but not declared in the manifest.
        Assert.Contains("'vyra.host_emit_event' is not declared", ex.Message);
        Assert.Contains("'env.tick' is not declared", ex.Message);
        // Declared but not provided by the host.
        Assert.Contains("'vyra.launch_missiles' is not provided", ex.Message);
        // Neither.
        Assert.Contains("env.read_file", ex.Message);
        // No WASI, no imports from other modules, no imported memories.
        Assert.Contains("wasi_snapshot_preview1.fd_write", ex.Message);
        Assert.Contains("env.shared_memory", ex.Message);
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Imports_without_a_manifest_list_but_missing_from_the_host_are_each_named()
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (import "vyra" "host_log" (func (param i32 i32)))
              (import "vyra" "host_exec" (func (param i32 i32) (result i32)))
              (import "env" "host_open_socket" (func (result i32)))
              (func (export "get") (result i32) (i32.const 1)))
            """);
        await using var runtime = plugin.Create();

        var ex = await StartFails(runtime);
        Assert.Contains("'vyra.host_exec' is not provided by the host", ex.Message);
        Assert.Contains("'env.host_open_socket' is not provided by the host", ex.Message);
        Assert.DoesNotContain("host_log", ex.Message);
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Import_with_the_wrong_signature_is_named_with_both_types()
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (import "vyra" "host_log" (func (param i64) (result i32)))
              (func (export "get") (result i32) (i32.const 1)))
            """);
        await using var runtime = plugin.Create();

        var ex = await StartFails(runtime);
        Assert.Contains("'vyra.host_log'", ex.Message);
        Assert.Contains("(i64) -> i32", ex.Message);
        Assert.Contains("(i32, i32)", ex.Message);
        await AssertHostHealthy();
    }

    // ---- manifests that lie -----------------------------------------------------------------------------------

    [Fact]
    public async Task Manifest_that_lies_about_signatures_fails_the_start_naming_export_expected_and_actual()
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (memory (export "memory") 1)
              (func (export "vyra_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "add") (param i64) (result f64) (f64.const 0))
              (func (export "name") (result i32) (i32.const 0))
              (func (export "fine") (result i32) (i32.const 1)))
            """, TestPlugin.Manifest(exports: """
                [{ "name": "add", "args": [{ "name": "a", "type": "i32" }, { "name": "b", "type": "i32" }], "returns": "i32" },
                 { "name": "name", "args": [], "returns": "string" },
                 { "name": "fine", "args": [], "returns": "i32" },
                 { "name": "ghost", "args": [], "returns": "i32" }]
                """));
        await using var runtime = plugin.Create();

        var ex = await StartFails(runtime);
        // add: parameters differ: declared (a: i32, b: i32) = wasm (i32, i32), module (i64) -> f64.
        Assert.Contains("export 'add'", ex.Message);
        Assert.Contains("(a: i32, b: i32)", ex.Message);
        Assert.Contains("(i32, i32)", ex.Message);
        Assert.Contains("(i64) -> f64", ex.Message);
        // name: the result differs: declared string = wasm i64, module i32.
        Assert.Contains("export 'name'", ex.Message);
        Assert.Contains("returns string", ex.Message);
        Assert.Contains("() -> i32", ex.Message);
        // ghost: declared, not exported.
        Assert.Contains("export 'ghost'", ex.Message);
        Assert.DoesNotContain("'fine'", ex.Message);
        await AssertHostHealthy();
    }

    // ---- broken module bytes --------------------------------------------------------------------------------

    private static byte[] CounterBytes() => Wasmtime.Module.ConvertText(CounterWat);

    [Fact]
    public async Task Garbage_module_bytes_fall_back_to_the_stub()
    {
        var garbage = new byte[4096];
        new Random(5).NextBytes(garbage);
        garbage[0] = 0x7F; // surely not "\0asm"
        using var plugin = TestPlugin.FromBytes(garbage);
        await using var runtime = plugin.Create();

        Assert.IsType<StubRuntime>(runtime);
        await runtime.StartAsync();
        Assert.Equal("stub", (await runtime.CallAsync("ping"))["runtime"]);
        await AssertHostHealthy();
    }

    [Theory]
    [InlineData(0)]   // empty file
    [InlineData(3)]   // part of the magic
    [InlineData(8)]   // the header alone: an empty module
    public async Task Empty_or_header_only_module_falls_back_to_the_stub(int length)
    {
        using var plugin = TestPlugin.FromBytes(CounterBytes()[..length]);
        await using var runtime = plugin.Create();

        Assert.IsType<StubRuntime>(runtime);
        await runtime.StartAsync();
        Assert.Equal("stub", (await runtime.CallAsync("ping"))["runtime"]);
    }

    public static TheoryData<string> TruncationPoints => new() { "9", "half", "all-but-one" };

    [Theory]
    [MemberData(nameof(TruncationPoints))]
    public async Task Truncated_module_with_a_valid_header_is_a_wasm_runtime_whose_start_fails_naming_the_file(string where)
    {
        var bytes = CounterBytes();
        var length = where switch { "9" => 9, "half" => bytes.Length / 2, _ => bytes.Length - 1 };
        using var plugin = TestPlugin.FromBytes(bytes[..length]);
        await using var runtime = plugin.Create();

        Assert.IsType<WasmRuntime>(runtime);
        var ex = await StartFails(runtime, within: TimeSpan.FromSeconds(5));
        Assert.Equal(plugin.ModulePath, ex.FilePath);
        Assert.Contains(plugin.ModulePath, ex.Message);
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Valid_header_then_garbage_is_a_wasm_runtime_whose_start_fails_naming_the_file()
    {
        var bytes = new byte[2048];
        new Random(7).NextBytes(bytes);
        CounterBytes()[..8].CopyTo(bytes, 0);
        using var plugin = TestPlugin.FromBytes(bytes);
        await using var runtime = plugin.Create();

        Assert.IsType<WasmRuntime>(runtime);
        var ex = await StartFails(runtime, within: TimeSpan.FromSeconds(5));
        Assert.Equal(plugin.ModulePath, ex.FilePath);
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Garbage_wat_text_is_a_wasm_runtime_whose_start_fails_naming_the_file()
    {
        using var plugin = TestPlugin.FromWat("(module (func (export \"get\") (result i32) (i32.const 1)"); // unbalanced
        await using var runtime = plugin.Create();

        Assert.IsType<WasmRuntime>(runtime);
        var ex = await StartFails(runtime);
        Assert.Equal(plugin.ModulePath, ex.FilePath);
        await StartsAfterTheFix(plugin, runtime, 0);
    }

    [Fact]
    public async Task Huge_timeout_in_the_manifest_starts_or_fails_as_a_load_error()
    {
        // timeout_ms is "a positive integer"; one too large for a TimeSpan must not escape as an OverflowException.
        using var plugin = TestPlugin.FromWat(FixedWat, TestPlugin.Manifest(limits: """{ "timeout_ms": 9223372036854775807 }"""));
        await using var runtime = plugin.Create();
        try
        {
            await runtime.StartAsync();
            Assert.Equal(0, await CallInt(runtime, "get"));
        }
        catch (PluginLoadException ex)
        {
            Assert.Contains("timeout_ms", ex.Message);
        }
    }

    [Fact]
    public async Task Huge_memory_cap_in_the_manifest_starts_or_fails_as_a_load_error()
    {
        // memory_mb × 2^20 overflows a long for memory_mb ≥ 2^43.
        using var plugin = TestPlugin.FromWat(FixedWat, TestPlugin.Manifest(limits: """{ "memory_mb": 9223372036854775807 }"""));
        await using var runtime = plugin.Create();
        try
        {
            await runtime.StartAsync();
            Assert.Equal(0, await CallInt(runtime, "get"));
        }
        catch (PluginLoadException ex)
        {
            Assert.Contains("memory_mb", ex.Message);
        }
    }
}
