using System.Text;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Wasmtime;
using Xunit;

namespace Vyra.Sdk.Tests.Abi;

/// <summary>
/// Typed host imports (<see cref="TypedHostImport"/>, what generated bindings register): linked as typed Wasmtime host
/// functions, with every guarantee of the untyped path — bounds and caps on guest values naming the import, host
/// failures as HostFunction, the call's deadline and cancellation, re-entrancy refused — and side by side with untyped
/// imports of the same signature.
/// </summary>
public class TypedHostImportTests
{
    /// <summary>
    /// host_echo(text: string) -> string; host_mix(i64, f32, f64, bool) -> f64; host_note(text: string); the start
    /// function notes "start" (a host call before the instance's memory is resolved).
    /// </summary>
    internal const string Wat = """
        (module
          (import "vyra" "host_echo" (func $echo (param i32 i32) (result i64)))
          (import "vyra" "host_mix" (func $mix (param i64 f32 f64 i32) (result f64)))
          (import "vyra" "host_note" (func $note (param i32 i32)))
          (memory (export "memory") 1)
          (global $heap (mut i32) (i32.const 4096))
          (data (i32.const 16) "start")
          (data (i32.const 32) "\ff\fe")
          (func (export "vyra_alloc") (param $len i32) (result i32)
            (local $p i32)
            global.get $heap local.set $p
            global.get $heap local.get $len i32.add global.set $heap
            local.get $p)
          (func (export "vyra_free") (param i32 i32) (global.set $heap (i32.const 4096)))
          (func $init (call $note (i32.const 16) (i32.const 5)))
          (start $init)
          (func (export "echo") (param $p i32) (param $l i32) (result i64)
            local.get $p local.get $l call $echo)
          ;; host_echo on any pointer and length the caller chooses (hostile values); returns the answer's length
          (func (export "probe") (param $p i32) (param $l i32) (result i32)
            local.get $p local.get $l call $echo i32.wrap_i64)
          (func (export "mix") (param i64 f32 f64 i32) (result f64)
            local.get 0 local.get 1 local.get 2 local.get 3 call $mix)
          (func (export "note") (param $p i32) (param $l i32)
            local.get $p local.get $l call $note))
        """;

    internal const string Manifest = """
        {"id":"typed","exports":[
          {"name":"echo","args":[{"name":"text","type":"string"}],"returns":"string"},
          {"name":"probe","args":[{"name":"p","type":"i32"},{"name":"l","type":"i32"}],"returns":"i32"},
          {"name":"mix","args":[{"name":"a","type":"i64"},{"name":"b","type":"f32"},{"name":"c","type":"f64"},{"name":"d","type":"bool"}],"returns":"f64"},
          {"name":"note","args":[{"name":"text","type":"string"}]}],
         "imports":["host_echo","host_mix","host_note"]}
        """;

    /// <summary>The three imports as generated bindings register them, around hooks a test sets.</summary>
    internal sealed class TypedHost : RecordingHost
    {
        public Func<string, string> Echo { get; set; } = static text => text;

        public List<string> Notes { get; } = [];

        public int EchoCalls { get; private set; }

        /// <summary>host_echo waits until the call's token fires (what an I/O-bound host function does).</summary>
        public bool WaitForToken { get; init; }

        public SemaphoreSlim Entered { get; } = new(0);

        public CancellationToken LastToken { get; private set; }

        protected override void RegisterImports(HostImportRegistry imports)
        {
            imports.Add(TypedHostImport.Function<int, int, long>("host_echo", [PluginValueType.String], [PluginValueType.String], (call, pointer, length) =>
            {
                var text = call.ReadString(0, pointer, length);
                EchoCalls++;
                if (WaitForToken)
                {
                    LastToken = call.CancellationToken;
                    Entered.Release();
                    call.Wait(new ValueTask(Task.Delay(Timeout.Infinite, call.CancellationToken)));
                }
                return call.WriteString(Echo(text));
            }));
            imports.Add(TypedHostImport.Function<long, float, double, int, double>("host_mix",
                [PluginValueType.I64, PluginValueType.F32, PluginValueType.F64, PluginValueType.Bool], [PluginValueType.F64],
                (call, a, b, c, d) => d != 0 ? (double)a + b + c : -1));
            imports.Add(TypedHostImport.Action<int, int>("host_note", [PluginValueType.String], [], (call, pointer, length) => Notes.Add(call.ReadString(0, pointer, length))));
        }
    }

    /// <summary>The same imports registered by hand through the untyped callback.</summary>
    private sealed class UntypedHost : RecordingHost
    {
        protected override void RegisterImports(HostImportRegistry imports)
        {
            imports.Add("host_echo", [PluginValueType.String], [PluginValueType.String], call => call.ReturnString("untyped " + call.GetString(0)));
            imports.Add("host_mix", [PluginValueType.I64, PluginValueType.F32, PluginValueType.F64, PluginValueType.Bool], [PluginValueType.F64], call => call.ReturnDouble(0));
            imports.Add("host_note", [PluginValueType.String], [], _ => { });
        }
    }

    private static async Task<PluginCallException> Fails(PluginErrorKind kind, Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<PluginCallException>(call);
        Assert.Equal(kind, ex.Kind);
        return ex;
    }

    [Theory]
    [InlineData("Grüß dich, 世界! 🎉")]
    [InlineData("")]
    public async Task A_typed_string_import_echoes_text_through_guest_memory(string text)
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        var host = new TypedHost { Echo = static t => t + "|" + t };
        await using var runtime = PluginRuntime.Create("typed", plugin.ModulePath, host);
        await runtime.StartAsync();
        Assert.Equal(text + "|" + text, (await runtime.CallAsync("echo", SamplePlugins.Args(("text", text))))["result"]);
        Assert.Equal(1, host.EchoCalls);
    }

    [Fact]
    public async Task Typed_scalar_and_void_imports_take_and_give_the_wasm_values()
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        var host = new TypedHost();
        await using var runtime = PluginRuntime.Create("typed", plugin.ModulePath, host);
        await runtime.StartAsync();
        Assert.Equal(["start"], host.Notes); // the start function's call, made before the instance resolved its memory
        var mixed = (await runtime.CallAsync("mix", SamplePlugins.Args(("a", 5_000_000_000L), ("b", 0.5f), ("c", 0.25), ("d", true))))["result"];
        Assert.Equal(5_000_000_000.75, mixed);
        Assert.Equal(-1.0, (await runtime.CallAsync("mix", SamplePlugins.Args(("a", 1L), ("b", 1f), ("c", 1.0), ("d", false))))["result"]);
        await runtime.CallAsync("note", SamplePlugins.Args(("text", "héllo")));
        Assert.Equal(["start", "héllo"], host.Notes);
    }

    [Theory]
    [InlineData(70_000, 4, "pointer 70000 + length 4 is outside guest memory (65536 bytes)")]
    [InlineData(65_530, 10, "pointer 65530 + length 10 is outside guest memory (65536 bytes)")]
    [InlineData(-8, 4, "negative pointer -8")]
    [InlineData(16, -1, "negative length -1")]
    [InlineData(32, 2, "2 bytes that are not valid UTF-8")]
    public async Task Hostile_pointers_and_bytes_are_ABI_errors_naming_the_import(int pointer, int length, string problem)
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        var host = new TypedHost();
        await using var runtime = PluginRuntime.Create("typed", plugin.ModulePath, host);
        await runtime.StartAsync();
        var ex = await Fails(PluginErrorKind.Abi, async () => await runtime.CallAsync("probe", SamplePlugins.Args(("p", pointer), ("l", length))));
        Assert.Contains("argument 0 of host import 'host_echo'", ex.Reason);
        Assert.Contains(problem, ex.Reason);
        Assert.Equal(0, host.EchoCalls); // refused before the host method ran
        Assert.Equal(5, (await runtime.CallAsync("probe", SamplePlugins.Args(("p", 16), ("l", 5))))["result"]); // still usable
    }

    [Fact]
    public async Task Values_over_the_hosts_cap_are_refused_both_ways()
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        var host = new TypedHost { Echo = static t => new string('x', 200) };
        await using var runtime = PluginRuntime.Create("typed", plugin.ModulePath, host, options: new PluginRuntimeOptions { MaxMemoryValueBytes = 100 });
        await runtime.StartAsync();

        var tooLong = await Fails(PluginErrorKind.Abi, async () => await runtime.CallAsync("probe", SamplePlugins.Args(("p", 0), ("l", 101))));
        Assert.Contains("argument 0 of host import 'host_echo': 101 bytes is more than the host allows", tooLong.Reason);
        Assert.Contains("MaxMemoryValueBytes = 100", tooLong.Reason);

        var answer = await Fails(PluginErrorKind.Abi, async () => await runtime.CallAsync("probe", SamplePlugins.Args(("p", 16), ("l", 5))));
        Assert.Contains("result of host import 'host_echo': 200 bytes is more than the host allows", answer.Reason);
    }

    [Fact]
    public async Task A_throwing_typed_import_is_HostFunction_and_the_runtime_stays_usable()
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        var host = new TypedHost { Echo = static _ => throw new InvalidOperationException("echo service down") };
        await using var runtime = PluginRuntime.Create("typed", plugin.ModulePath, host);
        await runtime.StartAsync();
        var ex = await Fails(PluginErrorKind.HostFunction, async () => await runtime.CallAsync("echo", SamplePlugins.Args(("text", "x"))));
        Assert.IsType<InvalidOperationException>(ex.InnerException);
        Assert.Contains("echo service down", ex.Reason);

        host.Echo = static t => t.ToUpperInvariant();
        Assert.Equal("X", (await runtime.CallAsync("echo", SamplePlugins.Args(("text", "x"))))["result"]);
    }

    [Fact(Timeout = 20_000)]
    public async Task A_typed_import_waiting_on_its_token_ends_the_call_at_the_deadline_or_the_callers_cancellation()
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        var host = new TypedHost { WaitForToken = true };
        await using var runtime = PluginRuntime.Create("typed", plugin.ModulePath, host, options: new PluginRuntimeOptions { Timeout = TimeSpan.FromMilliseconds(200) });
        await runtime.StartAsync();
        await Fails(PluginErrorKind.Timeout, async () => await Task.Run(async () => await runtime.CallAsync("echo", SamplePlugins.Args(("text", "x")))));
        Assert.True(host.LastToken.IsCancellationRequested);
        await host.Entered.WaitAsync();

        await using var patient = PluginRuntime.Create("typed", plugin.ModulePath, host, options: new PluginRuntimeOptions { Timeout = TimeSpan.FromSeconds(30) });
        await patient.StartAsync();
        using var caller = new CancellationTokenSource();
        var call = Task.Run(async () => await patient.CallAsync("echo", SamplePlugins.Args(("text", "x")), caller.Token));
        await host.Entered.WaitAsync(); // the host function is waiting
        caller.Cancel();
        var cancelled = await Fails(PluginErrorKind.Cancelled, () => call);
        Assert.IsAssignableFrom<OperationCanceledException>(cancelled.InnerException);
    }

    [Fact]
    public async Task A_typed_import_calling_back_into_its_runtime_is_refused_as_Reentrant()
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        var host = new TypedHost();
        await using var runtime = PluginRuntime.Create("typed", plugin.ModulePath, host);
        await runtime.StartAsync();
        PluginCallException? refused = null;
        host.Echo = text =>
        {
            try
            {
                runtime.CallAsync("note", SamplePlugins.Args(("text", "inner"))).AsTask().GetAwaiter().GetResult();
            }
            catch (PluginCallException ex)
            {
                refused = ex;
            }
            return text;
        };
        Assert.Equal("outer", (await runtime.CallAsync("echo", SamplePlugins.Args(("text", "outer"))))["result"]);
        Assert.Equal(PluginErrorKind.Reentrant, refused?.Kind);
        Assert.DoesNotContain("inner", host.Notes);
    }

    [Fact]
    public void A_typed_handler_whose_types_do_not_fit_the_signature_is_refused_when_made()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            TypedHostImport.Function<int, int, int>("host_echo", [PluginValueType.String], [PluginValueType.String], (call, p, l) => 0));
        Assert.Contains("host import 'host_echo': the typed handler takes (i32, i32) -> i32, but its types lower to (i32, i32) -> i64", ex.Message);
        Assert.Throws<ArgumentException>(() => TypedHostImport.Action<long>("host_x", [PluginValueType.I32], [], (call, a) => { }));
        Assert.Throws<ArgumentException>(() => TypedHostImport.Function<int, int>("host_x", [PluginValueType.I32], [], (call, a) => a));
        Assert.Throws<ArgumentException>(() => TypedHostImport.Function<decimal, int>("host_x", [PluginValueType.I32], [PluginValueType.I32], (call, a) => 0));
        Assert.Throws<ArgumentNullException>(() => TypedHostImport.Function<int, int>("host_x", [PluginValueType.I32], [PluginValueType.I32], null!));
    }

    [Fact]
    public async Task Typed_and_untyped_hosts_of_one_module_each_get_their_own_handlers()
    {
        // Both import sets have the same signatures; each runtime must meet the linker that fits its own imports.
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        await using var typed = PluginRuntime.Create("typed", plugin.ModulePath, new TypedHost { Echo = static t => "typed " + t });
        await using var untyped = PluginRuntime.Create("typed", plugin.ModulePath, new UntypedHost());
        await typed.StartAsync();
        await untyped.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("typed a", (await typed.CallAsync("echo", SamplePlugins.Args(("text", "a"))))["result"]);
            Assert.Equal("untyped b", (await untyped.CallAsync("echo", SamplePlugins.Args(("text", "b"))))["result"]);
        }
    }

    [Fact]
    public void The_handler_of_a_typed_import_runs_it_over_untyped_arguments()
    {
        // HostImport.Handler of a typed import (for anything that calls imports the untyped way) reaches the same code.
        var registry = new HostImportRegistry();
        var import = TypedHostImport.Function<long, float, double, int, double>("host_mix",
            [PluginValueType.I64, PluginValueType.F32, PluginValueType.F64, PluginValueType.Bool], [PluginValueType.F64],
            (call, a, b, c, d) => d != 0 ? (double)a + b + c : -1);
        registry.Add(import);
        Assert.True(registry.TryGet("host_mix", out var found));
        ValueBox[] arguments = [7L, 0.5f, 0.25, 1];
        var results = new ValueBox[1];
        var guest = new GuestStub();
        found.Handler(new HostCall(guest, default, found, arguments, results));
        Assert.Equal(7.75, results[0].AsDouble());
    }

    private sealed class GuestStub() : GuestContext("stub", 1024, 1024)
    {
        public override CancellationToken HostToken => CancellationToken.None;
    }
}
