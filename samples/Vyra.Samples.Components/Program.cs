using Vyra.Samples.Components.Plugins;

// A component plugin called through its generated proxy: CalcComponent, Types.Request and ICalcImports were written
// by the generator from plugins/calc/1.0.0/wit/calc.wit; the runtime checks every call against the same world.
var path = Path.Combine(AppContext.BaseDirectory, "plugins", "calc", "1.0.0", "logic.wat");
await using var calc = await CalcComponent.StartAsync("calc", path, new ConsoleImports());

Console.WriteLine($"plugin: {await calc.VersionAsync()}");
var product = await calc.ComputeAsync(new Types.Request(Types.Op.Mul, 6, 7, "six times seven"));
Console.WriteLine($"6 * 7 = {product}");
var difference = await calc.ComputeAsync(new Types.Request(Types.Op.Sub, 10, 42, "ten minus forty-two"));
Console.WriteLine($"10 - 42 = {difference}");

// The same plugin by name with JSON-shaped arguments, as `vyra call` and the Redis server call it.
var result = await calc.Runtime.CallAsync("compute", new Dictionary<string, object?>
{
    ["req"] = new Dictionary<string, object?> { ["op"] = "add", ["a"] = 1, ["b"] = 2, ["note"] = "by name" },
});
Console.WriteLine($"1 + 2 = {result["result"]}");
return product == 42 && difference == -32 && result["result"] is 3 ? 0 : 1;

/// <summary>The host side of the world's imports.</summary>
internal sealed class ConsoleImports : ICalcImports
{
    public void Log(string message) => Console.WriteLine($"[calc] {message}");
}
