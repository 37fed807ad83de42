using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Abi;

/// <summary>
/// A string argument of a typed export is encoded straight into the guest's <c>vyra_alloc</c> buffer (no UTF-8 array on
/// the host in between): text that is not valid Unicode and text over the host's cap are refused before the guest
/// allocates anything, and what the guest receives is the exact UTF-8.
/// </summary>
public class TypedStringArgumentTests
{
    // A bump allocator that counts its calls; `utf8_sum` returns the bytes' sum so the test can check what arrived.
    private const string Wat = """
        (module
          (memory (export "memory") 1)
          (global $heap (mut i32) (i32.const 1024))
          (global $allocs (mut i32) (i32.const 0))
          (func (export "vyra_alloc") (param $len i32) (result i32)
            (local $p i32)
            (global.set $allocs (i32.add (global.get $allocs) (i32.const 1)))
            (local.set $p (global.get $heap))
            (global.set $heap (i32.add (global.get $heap) (local.get $len)))
            (if (i32.gt_u (global.get $heap) (i32.const 60000)) (then (global.set $heap (i32.const 1024)) (local.set $p (i32.const 1024))))
            (local.get $p))
          (func (export "vyra_free") (param i32 i32))
          (func (export "allocs") (result i32) (global.get $allocs))
          (func (export "utf8_sum") (param $p i32) (param $len i32) (result i32)
            (local $sum i32) (local $end i32)
            (local.set $end (i32.add (local.get $p) (local.get $len)))
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
                (local.set $sum (i32.add (local.get $sum) (i32.load8_u (local.get $p))))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $next)))
            (i32.add (i32.mul (local.get $len) (i32.const 1000000)) (local.get $sum))))
        """;

    private const string Manifest = """
        {"id":"typed-text","exports":[
          {"name":"utf8_sum","args":[{"name":"s","type":"string"}],"returns":"i32"},
          {"name":"allocs","args":[],"returns":"i32"}]}
        """;

    private static int Sum(TypedExport<Func<int, int, int>> export, string text)
    {
        using var call = export.Enter();
        try
        {
            var (pointer, length) = call.Write(text, PluginValueType.String);
            return call.Function(pointer, length);
        }
        catch (Exception ex)
        {
            throw call.Fail(ex);
        }
    }

    private static int Allocs(TypedExport<Func<int>> export)
    {
        using var call = export.Enter();
        return call.Function();
    }

    [Fact]
    public async Task The_guest_receives_the_exact_UTF8_of_the_text()
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        await using var runtime = new WasmRuntime("typed-text", plugin.ModulePath);
        await runtime.StartAsync();
        var sum = runtime.GetTypedExport("utf8_sum", static f => f.WrapFunc<int, int, int>());
        foreach (var text in new[] { "", "a", "héllo wörld", "😀 and 中文", new string('x', 5000) })
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            Assert.Equal(bytes.Length * 1_000_000 + bytes.Sum(b => (int)b), Sum(sum, text));
        }
    }

    [Fact]
    public async Task A_lone_surrogate_is_InvalidArgument_before_the_guest_allocates()
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        await using var runtime = new WasmRuntime("typed-text", plugin.ModulePath);
        await runtime.StartAsync();
        var sum = runtime.GetTypedExport("utf8_sum", static f => f.WrapFunc<int, int, int>());
        var allocs = runtime.GetTypedExport("allocs", static f => f.WrapFunc<int>());
        Sum(sum, "first");
        var before = Allocs(allocs);
        var ex = Assert.Throws<PluginCallException>(() => Sum(sum, "ab\uD800cd"));
        Assert.Equal(PluginErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("lone surrogate at index 2", ex.Reason);
        Assert.IsType<FormatException>(ex.InnerException);
        Assert.Equal(before, Allocs(allocs));
        Assert.Equal(3_000_000 + 'o' + 'k' + '!', Sum(sum, "ok!")); // the instance is fine
    }

    [Fact]
    public async Task Text_over_the_hosts_cap_is_refused_before_the_guest_allocates()
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        await using var runtime = new WasmRuntime("typed-text", plugin.ModulePath, options: new PluginRuntimeOptions { MaxMemoryValueBytes = 100 });
        await runtime.StartAsync();
        var sum = runtime.GetTypedExport("utf8_sum", static f => f.WrapFunc<int, int, int>());
        var allocs = runtime.GetTypedExport("allocs", static f => f.WrapFunc<int>());
        Sum(sum, "first");
        var before = Allocs(allocs);
        // 50 characters, 101 bytes of UTF-8: the count is what the cap judges, not the characters.
        var ex = Assert.Throws<PluginCallException>(() => Sum(sum, new string('é', 50) + "x"));
        Assert.Equal(PluginErrorKind.Abi, ex.Kind);
        Assert.Contains("101 bytes", ex.Reason);
        Assert.Contains("MaxMemoryValueBytes = 100", ex.Reason);
        Assert.Equal(before, Allocs(allocs));
        Assert.Equal(100 * 1_000_000 + 100 * 'y', Sum(sum, new string('y', 100)));
    }
}
