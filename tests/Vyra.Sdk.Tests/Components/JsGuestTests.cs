using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace Vyra.Sdk.Tests.Components;

/// <summary>
/// A component written in JavaScript and built with componentize-js (Components/JsGuest, docs/components.md), run
/// through the factory and real Wasmtime: calls by name with JSON-shaped values (a record with a string and lists, an
/// enum, a variant, an option, a result), the host import it calls, and the limits ending a JavaScript busy loop.
/// </summary>
public class JsGuestTests(JsGuestFixture shop, ITestOutputHelper output) : IClassFixture<JsGuestFixture>
{
    private const string Order = """{"customer": "ada", "items": ["tea", "cake"], "quantities": [2, 1], "priority": "urgent"}""";

    private static Dictionary<string, object?> Args(string json) => JsonSerializer.Deserialize<Dictionary<string, object?>>(json)!;

    private static string Json(IReadOnlyDictionary<string, object?> result) => JsonSerializer.Serialize(result["result"]);

    [Fact]
    public void The_factory_started_the_javascript_component_and_the_start_time_is_reported()
    {
        output.WriteLine($"{JsGuestFixture.ComponentPath}: {new FileInfo(JsGuestFixture.ComponentPath).Length} bytes; first start {shop.FirstStart.TotalSeconds:F1} s ({shop.FirstSource}); disk cache entries: {string.Join(", ", shop.CacheEntrySizes())} bytes");
        Assert.Equal("component", shop.Runtime.Backend);
        Assert.Equal("shop", shop.Runtime.WorldName);
        Assert.Equal(["checkout", "parse-quantity", "quantity-of", "spin", "version"], shop.Runtime.Exports.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Records_lists_enums_and_variants_go_in_as_json_and_the_receipt_comes_back_after_the_host_import()
    {
        var receipt = await shop.Runtime.CallAsync("checkout", Args($$$"""{"o": {{{Order}}}, "d": {"percent": 10}}"""));
        var node = Assert.IsAssignableFrom<JsonNode>(receipt["result"]);
        Assert.Equal("ada", (string?)node["customer"]);
        Assert.Equal(270L, (long)node["total"]!);
        Assert.Equal("urgent", (string?)node["priority"]);
        var lines = node["lines"]!.AsArray().Select(l => (string)l!).ToList();
        Assert.Equal(["2 x tea", "1 x cake"], lines.Take(2));
        // The guest called the host's audit import with the total it computed, and used the answer it got.
        Assert.Contains("ada: 270 (urgent)", shop.Audited);
        Assert.Matches(@"^audit #\d+$", lines[2]);

        // A variant case without payload is its name; with payload a one-key object.
        var plain = await shop.Runtime.CallAsync("checkout", Args($$$"""{"o": {{{Order}}}, "d": "none"}"""));
        Assert.Equal(300L, (long)((JsonNode)plain["result"]!)["total"]!);
        var fixedOff = await shop.Runtime.CallAsync("checkout", Args($$$"""{"o": {{{Order}}}, "d": {"fixed": 1000}}"""));
        Assert.Equal(0L, (long)((JsonNode)fixedOff["result"]!)["total"]!);
    }

    [Fact]
    public async Task Options_and_results_map_both_ways()
    {
        Assert.Equal("1", Json(await shop.Runtime.CallAsync("quantity-of", Args($$$"""{"o": {{{Order}}}, "item": "cake"}"""))));
        Assert.Equal("null", Json(await shop.Runtime.CallAsync("quantity-of", Args($$$"""{"o": {{{Order}}}, "item": "milk"}"""))));
        Assert.Equal("""{"ok":4294967295}""", Json(await shop.Runtime.CallAsync("parse-quantity", Args("""{"text": "4294967295"}"""))));
        // The JavaScript throws a string: componentize-js makes it the result's err.
        Assert.Equal("""{"err":"too large: 4294967296"}""", Json(await shop.Runtime.CallAsync("parse-quantity", Args("""{"text": "4294967296"}"""))));
        Assert.Equal("""{"err":"not a quantity: \u00274x2\u0027"}""", Json(await shop.Runtime.CallAsync("parse-quantity", Args("""{"text": "4x2"}"""))));
        Assert.Equal("shop 1.0.0 (JavaScript)", (await shop.Runtime.CallAsync("version"))["result"]);
    }

    [Fact]
    public async Task Bad_arguments_are_refused_before_the_javascript_runs()
    {
        var wrongEnum = await Assert.ThrowsAsync<PluginCallException>(async () =>
            await shop.Runtime.CallAsync("checkout", Args($$$"""{"o": {{{Order.Replace("urgent", "asap")}}}, "d": "none"}""")));
        Assert.Equal(PluginErrorKind.InvalidArgument, wrongEnum.Kind);
        Assert.Contains("argument 'o.priority': 'asap' is not a case of the enum priority (low, normal, urgent)", wrongEnum.Message);
        var range = await Assert.ThrowsAsync<PluginCallException>(async () =>
            await shop.Runtime.CallAsync("checkout", Args($$$"""{"o": {{{Order}}}, "d": {"percent": 300}}""")));
        Assert.Equal(PluginErrorKind.InvalidArgument, range.Kind);
        Assert.Contains("300 is out of range for u8", range.Message);
    }

    [Fact]
    public async Task A_javascript_exception_is_a_trap_and_the_next_call_gets_a_fresh_instance()
    {
        // Items and quantities of different lengths: shop.js throws an Error, which a component without stdio traps on.
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await shop.Runtime.CallAsync("checkout",
            Args("""{"o": {"customer": "bob", "items": ["tea"], "quantities": [], "priority": "low"}, "d": "none"}""")));
        Assert.Equal(PluginErrorKind.Trap, ex.Kind);
        Assert.DoesNotContain(shop.Audited, e => e.StartsWith("bob", StringComparison.Ordinal));
        Assert.Equal("shop 1.0.0 (JavaScript)", (await shop.Runtime.CallAsync("version"))["result"]);
    }

    [Fact]
    public async Task The_timeout_ends_a_javascript_busy_loop()
    {
        await using var runtime = Assert.IsType<ComponentRuntime>(PluginRuntime.Create("shop", JsGuestFixture.ComponentPath, options: shop.Options(timeout: TimeSpan.FromMilliseconds(200), fuel: JsGuestFixture.Inexhaustible)));
        await runtime.StartAsync();
        // Fuel that cannot run out, so only the timeout can end the loop (AmpleFuel lasts ~0.6 s of it here, less on a faster CPU).
        // The fixture's runtime holds the compiled component: this start compiles nothing.
        Assert.NotEqual(ModuleSource.Compiled, runtime.ComponentSource);
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("spin"));
        Assert.Equal(PluginErrorKind.Timeout, ex.Kind);
        Assert.Equal("shop 1.0.0 (JavaScript)", (await runtime.CallAsync("version"))["result"]);
    }

    [Fact]
    public async Task Fuel_ends_a_javascript_busy_loop_as_out_of_fuel()
    {
        await using var runtime = Assert.IsType<ComponentRuntime>(PluginRuntime.Create("shop", JsGuestFixture.ComponentPath, options: shop.Options(fuel: 50_000_000)));
        await runtime.StartAsync();
        Assert.NotEqual(ModuleSource.Compiled, runtime.ComponentSource);
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("spin"));
        Assert.Equal(PluginErrorKind.OutOfFuel, ex.Kind);
        // The budget is per call: a short call after the failed one runs in a fresh instance with a full budget.
        Assert.Equal("shop 1.0.0 (JavaScript)", (await runtime.CallAsync("version"))["result"]);
    }

    [Fact]
    public async Task Cancelling_ends_a_javascript_busy_loop_as_cancelled()
    {
        await using var runtime = Assert.IsType<ComponentRuntime>(PluginRuntime.Create("shop", JsGuestFixture.ComponentPath, options: shop.Options(timeout: TimeSpan.FromSeconds(20), fuel: JsGuestFixture.Inexhaustible)));
        await runtime.StartAsync();
        // Fuel that cannot run out: the busy loop burns AmpleFuel in about 0.6 s here, and CancelAfter fires on a
        // thread-pool timer, which a busy suite (2 cores, tests blocking pool threads) delays by that much, so with
        // AmpleFuel the fuel trap could win the race and the call rightly end as OutOfFuel, not Cancelled.
        using var cts = new CancellationTokenSource();
        // Guest code runs on the calling thread: cancel from another one while it spins.
        var spinning = Task.Run(async () => await runtime.CallAsync("spin", cancellationToken: cts.Token));
        cts.CancelAfter(TimeSpan.FromMilliseconds(50));
        var ex = await Assert.ThrowsAsync<PluginCallException>(() => spinning);
        Assert.Equal(PluginErrorKind.Cancelled, ex.Kind);
    }
}
