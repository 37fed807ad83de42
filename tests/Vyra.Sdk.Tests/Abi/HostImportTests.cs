using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Abi;

/// <summary>Custom host imports registered by hand, the import checks at start, and host failures.</summary>
public class HostImportTests
{
    /// <summary>A guest that asks the host for a greeting (a string coming back into the guest) and returns it.</summary>
    private const string GreeterWat = """
        (module
          (import "vyra" "host_greeting" (func $greeting (param i32 i32) (result i64)))
          (import "env" "host_add" (func $add (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (global $heap (mut i32) (i32.const 1024))
          (func (export "vyra_alloc") (param $len i32) (result i32)
            (local $p i32)
            global.get $heap local.set $p
            global.get $heap local.get $len i32.add global.set $heap
            local.get $p)
          ;; greet(name: string) -> string : returns whatever the host answered
          (func (export "greet") (param $p i32) (param $l i32) (result i64)
            local.get $p local.get $l call $greeting)
          (func (export "sum") (param $a i32) (param $b i32) (result i32)
            local.get $a local.get $b call $add))
        """;

    private const string GreeterManifest = """
        {"id":"greeter","exports":[
          {"name":"greet","args":[{"name":"name","type":"string"}],"returns":"string"},
          {"name":"sum","args":[{"name":"a","type":"i32"},{"name":"b","type":"i32"}]}],
         "imports":["host_greeting",{"name":"host_add","args":[{"name":"a","type":"i32"},{"name":"b","type":"i32"}],"returns":"i32"}]}
        """;

    private sealed class GreeterHost : RecordingHost
    {
        public bool Fail { get; set; }

        protected override void RegisterImports(HostImportRegistry imports)
        {
            imports.Add("host_greeting", [PluginValueType.String], [PluginValueType.String], call =>
            {
                if (Fail) throw new InvalidOperationException("greeting service down");
                call.ReturnString($"Grüß dich, {call.GetString(0)}!");
            });
            imports.Add("host_add", [PluginValueType.I32, PluginValueType.I32], [PluginValueType.I32], call => call.ReturnInt32(call.GetInt32(0) + call.GetInt32(1)));
        }
    }

    [Fact]
    public async Task A_host_import_returns_a_string_into_the_guest()
    {
        using var plugin = TempPlugin.FromWat(GreeterWat, GreeterManifest);
        await using var runtime = PluginRuntime.Create("greeter", plugin.ModulePath, new GreeterHost());
        await runtime.StartAsync();
        Assert.Equal("Grüß dich, 世界!", (await runtime.CallAsync("greet", SamplePlugins.Args(("name", "世界"))))["result"]);
        Assert.Equal(5, (await runtime.CallAsync("sum", SamplePlugins.Args(("a", 2), ("b", 3))))["result"]);
    }

    [Fact]
    public async Task A_throwing_host_function_is_HostFunction_and_the_runtime_stays_usable()
    {
        using var plugin = TempPlugin.FromWat(GreeterWat, GreeterManifest);
        var host = new GreeterHost { Fail = true };
        await using var runtime = PluginRuntime.Create("greeter", plugin.ModulePath, host);
        await runtime.StartAsync();
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("greet", SamplePlugins.Args(("name", "x"))));
        Assert.Equal(PluginErrorKind.HostFunction, ex.Kind);
        Assert.IsType<InvalidOperationException>(ex.InnerException);
        Assert.Contains("greeting service down", ex.Reason);
        host.Fail = false;
        Assert.Equal("Grüß dich, x!", (await runtime.CallAsync("greet", SamplePlugins.Args(("name", "x"))))["result"]);
    }

    [Fact]
    public async Task Imports_the_host_does_not_provide_fail_start_naming_each()
    {
        using var plugin = TempPlugin.FromWat(GreeterWat, GreeterManifest);
        await using var runtime = PluginRuntime.Create("greeter", plugin.ModulePath, new RecordingHost());
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains("import 'vyra.host_greeting' is not provided by the host", ex.Message);
        Assert.Contains("import 'env.host_add' is not provided by the host", ex.Message);
        Assert.False(runtime.IsRunning);
    }

    [Fact]
    public async Task Imports_the_manifest_does_not_declare_fail_start_naming_each()
    {
        using var plugin = TempPlugin.FromWat(GreeterWat, GreeterManifest.Replace("\"imports\":[\"host_greeting\",", "\"imports\":["));
        await using var runtime = PluginRuntime.Create("greeter", plugin.ModulePath, new GreeterHost());
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains("import 'vyra.host_greeting' is not declared in the manifest's \"imports\"", ex.Message);
        Assert.DoesNotContain("host_add", ex.Message);
    }

    [Fact]
    public async Task An_import_with_the_wrong_type_fails_start_with_both_types()
    {
        using var plugin = TempPlugin.FromWat("""(module (import "vyra" "host_log" (func (param i32))) (func (export "f") (result i32) i32.const 0))""");
        await using var runtime = PluginRuntime.Create("bad-log", plugin.ModulePath);
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains("import 'vyra.host_log' has type (i32) but the host provides (i32, i32)", ex.Message);
    }

    [Fact]
    public async Task Imports_from_other_modules_ungranted_wasi_and_non_function_imports_are_refused()
    {
        using var plugin = TempPlugin.FromWat("""
            (module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
                    (import "os" "exec" (func))
                    (import "env" "mem" (memory 1)))
            """);
        await using var runtime = PluginRuntime.Create("wasi", plugin.ModulePath);
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains("'wasi_snapshot_preview1.fd_write' is WASI, which the runtime's options do not grant", ex.Message);
        Assert.Contains("'os.exec' comes from module 'os'", ex.Message);
        Assert.Contains("'env.mem' is not a function", ex.Message);
    }

    /// <summary>Counts the environment variables the guest can see (WASI environ_sizes_get).</summary>
    private const string WasiEnvWat = """
        (module
          (import "wasi_snapshot_preview1" "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "env_count") (result i32)
            (drop (call $sizes (i32.const 0) (i32.const 4)))
            (i32.load (i32.const 0))))
        """;

    [Fact]
    public async Task Granted_wasi_gives_exactly_what_the_grant_lists()
    {
        using var plugin = TempPlugin.FromWat(WasiEnvWat);
        var grants = new WasiGrants { Environment = new Dictionary<string, string> { ["MODE"] = "test", ["LEVEL"] = "2" } };
        await using var runtime = PluginRuntime.Create("wasi-env", plugin.ModulePath, options: new PluginRuntimeOptions { Wasi = grants, AllowUndeclaredExports = true });
        await runtime.StartAsync();
        Assert.Equal(2, (await runtime.CallAsync("env_count"))["result"]);

        await using var bare = PluginRuntime.Create("wasi-env", plugin.ModulePath, options: new PluginRuntimeOptions { Wasi = new WasiGrants(), AllowUndeclaredExports = true });
        await bare.StartAsync();
        Assert.Equal(0, (await bare.CallAsync("env_count"))["result"]); // the host's own environment is never passed on
    }

    [Fact]
    public async Task Memory_values_without_an_allocator_fail_start()
    {
        using var plugin = TempPlugin.FromWat("""(module (memory (export "memory") 1) (func (export "len") (param i32 i32) (result i32) local.get 1))""",
            """{"id":"noalloc","exports":[{"name":"len","args":[{"name":"s","type":"string"}]}]}""");
        await using var runtime = PluginRuntime.Create("noalloc", plugin.ModulePath);
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains("exports no 'vyra_alloc(len: i32) -> i32'", ex.Message);
    }
}
