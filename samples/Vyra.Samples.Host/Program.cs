// Vyra.Sdk sample host: loads the sample plugins (copied next to this program) and calls them through the typed
// proxies the generator wrote from their metadata.json files. Run: dotnet run --project samples/Vyra.Samples.Host
using System.Text;
using System.Text.Json.Nodes;
using Vyra.Sdk;
using Vyra.Samples.Host;
using Vyra.Samples.Host.Plugins;

var plugins = Path.Combine(AppContext.BaseDirectory, "plugins");
string ModulePath(string id) => Path.Combine(plugins, id, "1.0.0", "logic.wasm");

var host = new SampleHost(Console.Out);

Console.WriteLine("counter-widget: state in a wasm global, i32 in and out");
await using (var counter = CounterWidgetPlugin.Create(ModulePath("counter-widget"), host, new CounterWidgetState { Start = 10 }))
{
    await counter.StartAsync(); // runs init(start: 10), VYRA's rule
    Console.WriteLine($"  backend            {counter.Runtime.Backend}");
    Console.WriteLine($"  GetCount()         {counter.GetCount()}");
    Console.WriteLine($"  Increment(5)       {counter.Increment(5)}");
    Console.WriteLine($"  IncrementAsync(7)  {await counter.IncrementAsync(7)}");
    Console.WriteLine($"  Reset()            {counter.Reset()}");
}

Console.WriteLine("math-kit: every scalar type and a multi-value result");
await using (var math = MathKitPlugin.Create(ModulePath("math-kit"), host))
{
    await math.StartAsync();
    Console.WriteLine($"  AddI64(2^40, 1)    {math.AddI64(1L << 40, 1)}");
    Console.WriteLine($"  Scale(1.5, 4)      {math.Scale(1.5f, 4f)}");
    Console.WriteLine($"  Hypot(3, 4)        {math.Hypot(3, 4)}");
    var (quotient, remainder) = math.Divmod(17, 5);
    Console.WriteLine($"  Divmod(17, 5)      ({quotient}, {remainder})");
    Console.WriteLine($"  Fib(90)            {await math.FibAsync(90)}");
    try
    {
        math.Divmod(1, 0);
    }
    catch (PluginCallException ex)
    {
        Console.WriteLine($"  Divmod(1, 0)       {ex.Kind}: {ex.Reason}");
    }
}

Console.WriteLine("text-tools: strings, bytes and JSON through linear memory (a C plugin)");
await using (var text = TextToolsPlugin.Create(ModulePath("text-tools"), host))
{
    await text.StartAsync();
    Console.WriteLine($"  Upper(\"héllo wasm\") {text.Upper("héllo wasm")}");
    Console.WriteLine($"  WordCount(...)     {text.WordCount("the quick brown fox")}");
    Console.WriteLine($"  ByteSum([1,2,250]) {text.ByteSum([1, 2, 250])}");
    Console.WriteLine($"  Describe({{...}})    {text.Describe(new JsonObject { ["a"] = 1 })?.ToJsonString()}");
    Console.WriteLine($"  Greet(\"Ada\")       {await text.GreetAsync("Ada")}");
    Console.WriteLine($"  Shout(\"hey\")       {text.Shout("hey")}");
}

Console.WriteLine("host-calc: the guest calls generated host bindings (host_add, host_lookup)");
await using (var calc = HostCalcPlugin.Create(ModulePath("host-calc"), host))
{
    await calc.StartAsync();
    Console.WriteLine($"  Add(20, 22)        {calc.Add(20, 22)}");
    Console.WriteLine($"  SumTo(100)         {calc.SumTo(100)}  ({host.HostAddCalls} host_add calls so far)");
    Console.WriteLine($"  Lookup(\"greeting\") {await calc.LookupAsync("greeting")}");
    Console.WriteLine($"  Lookup(\"nope\")     {calc.Lookup("nope")}");
}

Console.WriteLine("done");
