using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Performance;

/// <summary>Guards the allocation-free typed path that generated proxies use.</summary>
[Collection(ProcessWideCollection.Name)] // an allocation count is read alone, never beside a listener or other load
public class AllocationTests
{
    [Fact]
    public async Task Typed_calls_allocate_nothing()
    {
        await using var runtime = new WasmRuntime("counter-widget", SamplePlugins.Counter);
        await runtime.StartAsync();
        var increment = runtime.GetTypedExport("increment", static f => f.WrapFunc<int, int>());
        int Call()
        {
            using var call = increment.Enter();
            try
            {
                return call.Function(1);
            }
            catch (Exception ex)
            {
                throw call.Fail(ex);
            }
        }
        for (var i = 0; i < 1_000; i++) Call(); // warm up: JIT, bind the delegate
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++) Call();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(11_000, (await runtime.CallAsync("get_count"))["result"]);
    }

    [Fact]
    public async Task A_typed_string_export_allocates_only_the_decoded_result()
    {
        // The generated method's path for echo(text: string) -> string: the argument is encoded straight into the
        // guest's vyra_alloc buffer (no UTF-8 array on the host), the result decoded from guest memory, both buffers
        // freed. What is left is the returned string, as in a hand-written copy.
        await using var runtime = new WasmRuntime("text-tools", SamplePlugins.TextTools);
        await runtime.StartAsync();
        var echo = runtime.GetTypedExport("echo", static f => f.WrapFunc<int, int, long>());
        var text = new string('a', 1024);
        string Call()
        {
            using var call = echo.Enter();
            try
            {
                var (pointer, length) = call.Write(text, PluginValueType.String);
                return (string)call.Read(call.Function(pointer, length), PluginValueType.String)!;
            }
            catch (Exception ex)
            {
                throw call.Fail(ex);
            }
        }
        for (var i = 0; i < 1_000; i++) Assert.Equal(text, Call()); // warm up
        var perCall = AllocatedPerCall(Call);
        var decoded = 2 * 1024 + 32; // a 1,024-character string: two bytes a character plus the object header and length
        Assert.InRange(perCall, decoded - 32, decoded);
    }

    /// <summary>A guest that passes 1 KiB at offset 16 to host_echo and frees the answer (bump allocator).</summary>
    private static readonly string EchoWat = $$"""
        (module
          (import "vyra" "host_echo" (func $echo (param i32 i32) (result i64)))
          (memory (export "memory") 1)
          (global $heap (mut i32) (i32.const 2048))
          (data (i32.const 16) "{{new string('a', 1024)}}")
          (func (export "vyra_alloc") (param $len i32) (result i32)
            (local $p i32)
            global.get $heap local.set $p
            global.get $heap local.get $len i32.add global.set $heap
            local.get $p)
          (func (export "roundtrip") (result i32)
            (local $packed i64)
            (local.set $packed (call $echo (i32.const 16) (i32.const 1024)))
            (global.set $heap (i32.const 2048))
            (i32.wrap_i64 (local.get $packed))))
        """;

    [Fact]
    public async Task A_typed_string_import_allocates_only_the_decoded_string()
    {
        // The generated binding's path: the typed callback takes (ptr, len) as plain values, the string is decoded
        // straight from guest memory and the answer encoded straight into the guest's buffer: no boxed arguments, no
        // byte array in between. The host method returns the string it was given, so the decoded string is all.
        using var plugin = TempPlugin.FromWat(EchoWat, """
            {"id":"echo-import","exports":[{"name":"roundtrip","args":[],"returns":"i32"}],"imports":["host_echo"]}
            """);
        var host = new EchoHost();
        await using var runtime = new WasmRuntime("echo-import", plugin.ModulePath, host);
        await runtime.StartAsync();
        var roundtrip = runtime.GetTypedExport("roundtrip", static f => f.WrapFunc<int>());
        int Call()
        {
            using var call = roundtrip.Enter();
            try
            {
                return call.Function();
            }
            catch (Exception ex)
            {
                throw call.Fail(ex);
            }
        }
        for (var i = 0; i < 1_000; i++) Assert.Equal(1024, Call()); // warm up
        var perCall = AllocatedPerCall(Call);
        var decoded = 2 * 1024 + 32; // a 1,024-character string: two bytes a character plus the object header and length
        Assert.InRange(perCall, decoded - 32, decoded);
        Assert.Equal(3_000, host.Calls);
    }

    /// <summary>Bytes this thread allocates per call of <paramref name="call"/>, over 2,000 calls (warm it first).</summary>
    private static long AllocatedPerCall<T>(Func<T> call)
    {
        const int Calls = 2_000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++) call();
        return (GC.GetAllocatedBytesForCurrentThread() - before) / Calls;
    }

    private sealed class EchoHost : RecordingHost
    {
        public int Calls { get; private set; }

        protected override void RegisterImports(HostImportRegistry imports) =>
            imports.Add(TypedHostImport.Function<int, int, long>("host_echo", [PluginValueType.String], [PluginValueType.String], (call, pointer, length) =>
            {
                Calls++;
                return call.WriteString(call.ReadString(0, pointer, length));
            }));
    }
}
