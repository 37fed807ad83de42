using Vyra.Plugin;
using Xunit;

namespace Vyra.Sdk.Tests;

public class SmokeTests
{
    [Fact]
    public async Task Counter()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "plugins", "counter-widget", "1.0.0", "logic.wasm");
        await using var rt = PluginRuntime.Create("counter-widget", path, initialState: new Dictionary<string, object?> { ["start"] = 5 });
        Assert.IsType<WasmRuntime>(rt);
        await rt.StartAsync();
        var r = await rt.CallAsync("increment", new Dictionary<string, object?> { ["step"] = "3" });
        Assert.Equal(8, r["result"]);
        var text = PluginRuntime.Create("text-tools", Path.Combine(AppContext.BaseDirectory, "plugins", "text-tools", "1.0.0", "logic.wasm"));
        await text.StartAsync();
        Assert.Equal("HÉLLO 😀".Replace("É", "é"), (await text.CallAsync("upper", new Dictionary<string, object?> { ["text"] = "héllo 😀" }))["result"]);
        Assert.Equal("Hello, Zoë!", (await text.CallAsync("greet", new Dictionary<string, object?> { ["name"] = "Zoë" }))["result"]);
        await text.OnEventAsync("text.x", new Dictionary<string, object?> { ["a"] = 1 });
        Assert.Equal(1, (await text.CallAsync("event_count"))["result"]);
        var math = PluginRuntime.Create("math-kit", Path.Combine(AppContext.BaseDirectory, "plugins", "math-kit", "1.0.0", "logic.wasm"));
        await math.StartAsync();
        var dm = (await math.CallAsync("divmod", new Dictionary<string, object?> { ["a"] = 17, ["b"] = 5 }))["result"];
        Assert.Equal(new List<object?> { 3, 2 }, dm);
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await math.CallAsync("divmod", new Dictionary<string, object?> { ["a"] = 17, ["b"] = 0 }));
        Assert.Equal(PluginErrorKind.Trap, ex.Kind);
    }
}
