using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Serving;

/// <summary>
/// Cheap requests cannot buy expensive work (integer text is capped like Python's), and bad text in a call is the
/// caller's InvalidArgument naming the argument, on both backends — never a raw exception.
/// </summary>
public class ArgumentContractTests
{
    private const string Wat = """
        (module
          (memory (export "memory") 1)
          (global $heap (mut i32) (i32.const 1024))
          (func (export "vyra_alloc") (param $len i32) (result i32)
            (local $p i32)
            (local.set $p (global.get $heap))
            (global.set $heap (i32.add (global.get $heap) (local.get $len)))
            (if (i32.gt_u (global.get $heap) (i32.const 60000)) (then (global.set $heap (i32.const 1024)) (local.set $p (i32.const 1024))))
            (local.get $p))
          (func (export "text") (param i32 i32) (result i32) (local.get 1))
          (func (export "data") (param i32 i32) (result i32) (local.get 1))
          (func (export "doc") (param i32 i32) (result i32) (local.get 1))
          (func (export "num") (param $x i64) (result i64) (local.get $x)))
        """;

    private const string Manifest = """
        {"id":"args","exports":[
          {"name":"text","args":[{"name":"s","type":"string"}],"returns":"i32"},
          {"name":"data","args":[{"name":"b","type":"bytes"}],"returns":"i32"},
          {"name":"doc","args":[{"name":"j","type":"json"}],"returns":"i32"},
          {"name":"num","args":[{"name":"x","type":"i64"}],"returns":"i64"}]}
        """;

    public static TheoryData<string> Backends => ["wasm", "stub"];

    private static async Task<PluginRuntime> Start(string backend, TempPlugin plugin)
    {
        PluginRuntime runtime;
        if (backend == "wasm")
        {
            runtime = new WasmRuntime("args", plugin.ModulePath);
        }
        else
        {
            var stub = new StubRuntime("args");
            foreach (var name in new[] { "text", "data", "doc", "num" })
            {
                stub.RegisterHandler(name, (data, _) => new(new Dictionary<string, object?> { ["result"] = data.Count }));
            }
            runtime = stub;
        }
        await runtime.StartAsync();
        return runtime;
    }

    private static JsonElement Json(byte[] utf8) => JsonDocument.Parse(utf8).RootElement.Clone();

    private static byte[] Quoted(params byte[] inner) => [(byte)'"', .. inner, (byte)'"'];

    /// <summary>Invalid UTF-8 inside a JSON string (C3 28: a lead byte without its continuation).</summary>
    private static readonly byte[] BadUtf8 = [0xC3, 0x28];

    public static TheoryData<string, string, string, object?> BadText => new()
    {
        { "lone surrogate in a string", "text", "s", "ab\uD800cd" },
        { "lone low surrogate in a string", "text", "s", "\uDC00" },
        { "invalid UTF-8 in a JSON string for a string", "text", "s", Json(Quoted(BadUtf8)) },
        { "escaped lone surrogate in a JSON string", "text", "s", Json(Encoding.UTF8.GetBytes("\"\\ud800\"")) },
        { "a JsonNode string with a lone surrogate", "text", "s", JsonValue.Create("x\uD801") },
        { "lone surrogate in a base64 string for bytes", "data", "b", "AAAA\uD800" },
        { "invalid UTF-8 in a JSON string for bytes", "data", "b", Json(Quoted(BadUtf8)) },
        { "invalid UTF-8 deep in a JSON object", "doc", "j", Json([.. "{\"a\":[1,"u8, .. Quoted(BadUtf8), .. "]}"u8]) },
        { "invalid UTF-8 in a JSON property name", "doc", "j", Json([.. "{"u8, .. Quoted(BadUtf8), .. ":1}"u8]) },
        { "a lone surrogate in a JsonObject key", "doc", "j", new JsonObject { ["k\uDFFF"] = 1 } },
    };

    [Theory]
    [MemberData(nameof(BadText))]
    public async Task Bad_text_in_an_argument_is_InvalidArgument_naming_it_on_the_wasm_backend(string why, string function, string argument, object? value)
    {
        await AssertInvalid("wasm", why, function, argument, value);
    }

    [Theory]
    [MemberData(nameof(BadText))]
    public async Task Bad_text_in_an_argument_is_InvalidArgument_naming_it_on_the_stub_backend(string why, string function, string argument, object? value)
    {
        await AssertInvalid("stub", why, function, argument, value);
    }

    private static async Task AssertInvalid(string backend, string why, string function, string argument, object? value)
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        await using var runtime = await Start(backend, plugin);
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync(function, new Dictionary<string, object?> { [argument] = value }));
        Assert.True(ex.Kind == PluginErrorKind.InvalidArgument, $"{why}: {ex.Kind} {ex.Message}");
        Assert.Contains($"'{argument}'", ex.Reason);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Bad_text_in_an_argument_name_is_InvalidArgument(string backend)
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        await using var runtime = await Start(backend, plugin);
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("num", new Dictionary<string, object?> { ["x"] = 1, ["na\uD800me"] = 2 }));
        Assert.Equal(PluginErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("argument name", ex.Reason);
        Assert.Contains("na\uFFFDme", ex.Reason); // shown, but printable
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Valid_text_with_surrogate_pairs_passes(string backend)
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        await using var runtime = await Start(backend, plugin);
        var expected = backend == "wasm" ? 8 : 1; // the guest returns the UTF-8 length (two 4-byte emoji); the stub counts arguments
        var result = await runtime.CallAsync("text", new Dictionary<string, object?> { ["s"] = "😀😀" });
        Assert.Equal(expected, result["result"]);
        await runtime.CallAsync("doc", new Dictionary<string, object?> { ["j"] = Json("{\"k😀\":[\"😀\"]}"u8.ToArray()) });
    }

    [Fact]
    public async Task A_lone_surrogate_given_to_a_typed_export_is_InvalidArgument()
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        await using var runtime = (WasmRuntime)await Start("wasm", plugin);
        var text = runtime.GetTypedExport("text", static f => f.WrapFunc<int, int, int>());
        var ex = Assert.Throws<PluginCallException>(() =>
        {
            using var call = text.Enter();
            var (pointer, length) = call.Write("x\uD800", PluginValueType.String);
            return call.Function(pointer, length);
        });
        Assert.Equal(PluginErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public void Integer_text_is_capped_at_4300_digits_like_python()
    {
        var largest = System.Numerics.BigInteger.Pow(10, 4300) - 1;
        Assert.Equal(unchecked((long)(ulong)(largest % (System.Numerics.BigInteger.One << 64))), ScalarCoercion.ToInt64(new string('9', 4300)));
        var ex = Assert.Throws<FormatException>(() => ScalarCoercion.ToInt64(new string('9', 4301)));
        Assert.Contains("4300 digits", ex.Message);
        Assert.Contains("4301 digits", ex.Message);
        Assert.Throws<FormatException>(() => ScalarCoercion.ToInt32("-" + new string('1', 5000)));
        Assert.Throws<FormatException>(() => ScalarCoercion.ToBoolean(new string('1', 5000)));
        Assert.Throws<FormatException>(() => ScalarCoercion.ToInt64(JsonDocument.Parse(new string('7', 5000)).RootElement));
        Assert.Throws<FormatException>(() => ScalarCoercion.ToInt64(string.Join("_", Enumerable.Repeat("12", 2200)))); // 4400 digits with underscores
        Assert.Equal(1234L, ScalarCoercion.ToInt64("1_234"));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Ten_megabytes_of_digits_is_refused_as_InvalidArgument_naming_the_argument(string backend)
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        await using var runtime = await Start(backend, plugin);
        var digits = new string('9', 10 * 1024 * 1024);
        if (backend == "stub")
        {
            // The stub does not coerce: its handler sees the text. The kernel's coercion is what refuses it.
            var ex = Assert.Throws<FormatException>(() => ScalarCoercion.ToInt64(digits));
            Assert.Contains("Exceeds the limit (4300 digits)", ex.Message);
            Assert.DoesNotContain(digits[..100], ex.Message);
            return;
        }
        var refused = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("num", SamplePlugins.Args(("x", digits))));
        Assert.Equal(PluginErrorKind.InvalidArgument, refused.Kind);
        Assert.Contains("argument 'x'", refused.Reason);
        Assert.Contains("4300 digits", refused.Reason);
        Assert.True(refused.Message.Length < 500, "the message must not quote megabytes of input");
    }
}
