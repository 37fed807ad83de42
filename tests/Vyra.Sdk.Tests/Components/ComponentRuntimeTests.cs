using System.Text.Json;
using System.Text.Json.Nodes;
using Vyra.Sdk.Tests.Support;
using Wasmtime.Components;
using Xunit;

namespace Vyra.Sdk.Tests.Components;

/// <summary>The component backend through real Wasmtime: calls by name with JSON-shaped values, limits, errors, host imports.</summary>
public class ComponentRuntimeTests : IDisposable
{
    private readonly TempPool _pool = new("components");

    public void Dispose() => _pool.Dispose();

    private static IReadOnlyDictionary<string, object?> Args(params (string Key, object? Value)[] pairs) => pairs.ToDictionary(p => p.Key, p => p.Value);

    private async Task<ComponentRuntime> StartAsync(string id, PluginRuntimeOptions? options = null, Action<ComponentRuntime>? setup = null, string? manifest = null)
    {
        var path = ComponentGuests.Add(_pool, id, manifest);
        var runtime = Assert.IsType<ComponentRuntime>(PluginRuntime.Create(id, path, options: options ?? new PluginRuntimeOptions { StubFallback = StubFallback.Refuse }));
        setup?.Invoke(runtime);
        await runtime.StartAsync();
        return runtime;
    }

    [Fact]
    public async Task The_factory_chooses_the_component_backend_and_calls_map_json_values()
    {
        await using var runtime = await StartAsync("calc", setup: r => r.DefineImport("host-add", (args, results) => results[0] = ComponentValue.U32(args[0].AsU32() * 100 + args[1].AsU32())));
        Assert.Equal("component", runtime.Backend);
        Assert.Equal("calc", runtime.WorldName);
        Assert.Equal(5, (await runtime.CallAsync("add", Args(("a", 2), ("b", 3))))["result"]);
        // Values as vyra call and the Redis server hand them over: JSON elements.
        var json = JsonSerializer.Deserialize<Dictionary<string, object?>>("""{"a": 4000000000, "b": 1}""")!;
        Assert.Equal(4000000001L, (await runtime.CallAsync("add", json))["result"]);
        Assert.Equal(203, (await runtime.CallAsync("via-host", Args(("a", 2), ("b", 3))))["result"]);
        // Text, as `vyra call key=value` passes it: numbers and JSON for composites are read.
        Assert.Equal(30, (await runtime.CallAsync("add", Args(("a", " 10 "), ("b", "20"))))["result"]);
        Assert.Equal("héllo, wörld 🎉", (await runtime.CallAsync("echo", Args(("s", "héllo, wörld 🎉"))))["result"]);
        var wide = await runtime.CallAsync("wide", Args(("a", -3), ("b", 60000), ("c", -1_000_000_000_000L), ("d", 0.5), ("e", "😀"), ("f", true)));
        Assert.Equal(-3 + 60000 - 1_000_000_000_000.0 + 0.5 + 0x1F600 + 1, (double)wide["result"]!);
        Assert.Equal("ok", (await runtime.CallAsync("ping"))["status"]);
        Assert.Equal("component", (await runtime.CallAsync("ping"))["runtime"]);
    }

    [Fact]
    public async Task The_yaml_manifest_shape_starts_a_component_too()
    {
        var folder = _pool.Add("yamlcalc", yaml: """
            id: yamlcalc
            name: Calc
            version: 1.0.0
            scope: { type: GLOBAL, target: any }
            entry_points:
              backend: { type: wasm, file: logic.wat }
            component:
              world: test:calc/calc@1.0.0
              wit: wit/calc.wit
            """);
        File.WriteAllText(Path.Combine(folder, "logic.wat"), ComponentGuests.Wat);
        Directory.CreateDirectory(Path.Combine(folder, "wit"));
        File.WriteAllText(Path.Combine(folder, "wit", "calc.wit"), ComponentGuests.Wit);
        await using var runtime = PluginRuntime.Create("yamlcalc", Path.Combine(folder, "logic.wat"));
        await runtime.StartAsync();
        Assert.Equal(7, (await runtime.CallAsync("add", Args(("a", 3), ("b", 4))))["result"]);
    }

    [Theory]
    [InlineData("add", "{\"a\": \"x\", \"b\": 1}", "argument 'a': expected u32, got a string")]
    [InlineData("add", "{\"a\": -1, \"b\": 1}", "argument 'a': -1 is out of range for u32")]
    [InlineData("add", "{\"a\": 1.5, \"b\": 1}", "argument 'a': expected u32, got the number 1.5")]
    [InlineData("add", "{\"a\": 1}", "missing argument 'b' (u32)")]
    [InlineData("add", "{\"a\": 1, \"b\": 2, \"c\": 3}", "'add' has no parameter 'c' (parameters: a, b)")]
    [InlineData("wide", "{\"a\": 1, \"b\": 1, \"c\": 1, \"d\": 1, \"e\": \"ab\", \"f\": true}", "argument 'e': expected char (one Unicode scalar value)")]
    [InlineData("wide", "{\"a\": 128, \"b\": 1, \"c\": 1, \"d\": 1, \"e\": \"a\", \"f\": true}", "argument 'a': 128 is out of range for s8 (-128..127)")]
    [InlineData("echo", "{\"s\": [1, 2]}", "argument 's': expected string, got an array")]
    public async Task Arguments_of_the_wrong_shape_are_invalid_arguments_naming_the_parameter(string function, string json, string message)
    {
        await using var runtime = await StartAsync("shapes");
        var data = JsonSerializer.Deserialize<Dictionary<string, object?>>(json)!;
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync(function, data));
        Assert.Equal(PluginErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains(message, ex.Message);
        // The instance was never entered with a bad value: the next call works.
        Assert.Equal(3, (await runtime.CallAsync("add", Args(("a", 1), ("b", 2))))["result"]);
    }

    [Fact]
    public async Task An_unknown_function_names_the_world_and_its_exports()
    {
        await using var runtime = await StartAsync("unknown");
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("nope"));
        Assert.Equal(PluginErrorKind.UnknownFunction, ex.Kind);
        Assert.Contains("the world 'calc' exports no function 'nope'", ex.Message);
    }

    [Fact]
    public async Task Limits_and_failures_have_the_kinds_of_core_modules_and_the_next_call_gets_a_fresh_instance()
    {
        await using var runtime = await StartAsync("limits", new PluginRuntimeOptions { Timeout = TimeSpan.FromMilliseconds(100), MemoryLimitBytes = 4 * 65536 });
        var timeout = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("spin"));
        Assert.Equal(PluginErrorKind.Timeout, timeout.Kind);
        Assert.Equal(3, (await runtime.CallAsync("add", Args(("a", 1), ("b", 2))))["result"]);
        var trap = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("crash"));
        Assert.Equal(PluginErrorKind.Trap, trap.Kind);
        Assert.Contains("unreachable", trap.Message);
        // The memory cap: growing past it fails inside the guest (memory.grow answers -1), the host is unharmed.
        Assert.Equal(1, (await runtime.CallAsync("grow", Args(("pages", 2))))["result"]);
        Assert.Equal(-1, (await runtime.CallAsync("grow", Args(("pages", 100))))["result"]);
    }

    [Fact]
    public async Task A_cancelled_call_ends_as_cancelled()
    {
        await using var runtime = await StartAsync("cancel", new PluginRuntimeOptions { Timeout = TimeSpan.FromSeconds(20) });
        using var cts = new CancellationTokenSource();
        // Guest code runs on the calling thread: cancel from another one while it spins.
        var spinning = Task.Run(async () => await runtime.CallAsync("spin", cancellationToken: cts.Token));
        cts.CancelAfter(TimeSpan.FromMilliseconds(50));
        var cancelled = await Assert.ThrowsAsync<PluginCallException>(() => spinning);
        Assert.Equal(PluginErrorKind.Cancelled, cancelled.Kind);
        Assert.Equal(3, (await runtime.CallAsync("add", Args(("a", 1), ("b", 2))))["result"]);
    }

    [Fact]
    public async Task Compiled_components_are_shared_in_memory_and_kept_in_the_authenticated_disk_cache()
    {
        var cache = Path.Combine(_pool.Root, "cache");
        var wat = ComponentGuests.Wat.Replace("(i32.const 8192)", "(i32.const 8200)"); // bytes no other test compiles
        var path = ComponentGuests.Add(_pool, "cached", wat: wat);
        var options = new PluginRuntimeOptions { CacheDirectory = cache };
        ComponentCache.ForgetMemory();
        await using (var first = (ComponentRuntime)PluginRuntime.Create("cached", path, options: options))
        {
            await first.StartAsync();
            Assert.Equal(ModuleSource.Compiled, first.ComponentSource);
            await using var second = (ComponentRuntime)PluginRuntime.Create("cached", path, options: options);
            await second.StartAsync();
            Assert.Equal(ModuleSource.MemoryCache, second.ComponentSource);
        }
        var entry = Assert.Single(Directory.GetFiles(cache, "*.vyramod"));
        ComponentCache.ForgetMemory();
        await using (var third = (ComponentRuntime)PluginRuntime.Create("cached", path, options: options))
        {
            await third.StartAsync();
            Assert.Equal(ModuleSource.DiskCache, third.ComponentSource);
            Assert.Equal(3, (await third.CallAsync("add", Args(("a", 1), ("b", 2))))["result"]);
        }
        // A tampered entry is a miss, never an error: the component is compiled again.
        var bytes = File.ReadAllBytes(entry);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(entry, bytes);
        ComponentCache.ForgetMemory();
        await using var fourth = (ComponentRuntime)PluginRuntime.Create("cached", path, options: options);
        await fourth.StartAsync();
        Assert.Equal(ModuleSource.Compiled, fourth.ComponentSource);
    }

    [Fact]
    public async Task The_catalog_validates_component_plugins_and_creates_component_runtimes()
    {
        ComponentGuests.Add(_pool, "good");
        ComponentGuests.Add(_pool, "badwit", wit: ComponentGuests.Wit.Replace("export add: func(a: u32,", "export add: func(a: u33,"));
        ComponentGuests.Add(_pool, "notcomponent", wat: "(module)");
        var catalog = PluginCatalog.Discover(_pool.Root);
        Assert.True(catalog.Entries.Single(e => e.Id == "good").IsValid);
        Assert.Contains(catalog.Entries.Single(e => e.Id == "badwit").Problems, p => p.Contains("type 'u33' is not defined"));
        Assert.Contains(catalog.Entries.Single(e => e.Id == "notcomponent").Problems, p => p.Contains("not a valid WebAssembly component"));
        await using var runtime = catalog.CreateRuntime("good");
        Assert.IsType<ComponentRuntime>(runtime);
        await runtime.StartAsync();
        Assert.Equal(5, (await runtime.CallAsync("add", Args(("a", 2), ("b", 3))))["result"]);
    }

    [Fact]
    public async Task Fuel_runs_out_as_out_of_fuel()
    {
        await using var runtime = await StartAsync("fuel", new PluginRuntimeOptions { Fuel = 10_000, Timeout = TimeSpan.FromSeconds(10) });
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("spin"));
        Assert.Equal(PluginErrorKind.OutOfFuel, ex.Kind);
        Assert.Equal(9, (await runtime.CallAsync("add", Args(("a", 4), ("b", 5))))["result"]);
    }

    [Fact]
    public async Task Host_imports_failing_or_missing_are_host_function_errors()
    {
        await using (var missing = await StartAsync("missing"))
        {
            var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await missing.CallAsync("via-host", Args(("a", 1), ("b", 2))));
            Assert.Equal(PluginErrorKind.HostFunction, ex.Kind);
            Assert.Contains("the host provides no implementation of the import 'host-add'", ex.Message);
        }
        await using var failing = await StartAsync("failing", setup: r => r.DefineImport("host-add", (_, _) => throw new InvalidOperationException("boom")));
        var failure = await Assert.ThrowsAsync<PluginCallException>(async () => await failing.CallAsync("via-host", Args(("a", 1), ("b", 2))));
        Assert.Equal(PluginErrorKind.HostFunction, failure.Kind);
        Assert.Contains("boom", failure.Message);
        Assert.Equal(3, (await failing.CallAsync("add", Args(("a", 1), ("b", 2))))["result"]);
    }

    [Fact]
    public async Task A_host_import_calling_back_into_the_component_is_refused_as_reentrant()
    {
        ComponentRuntime? self = null;
        PluginCallException? inner = null;
        await using var runtime = await StartAsync("reentrant", setup: r =>
        {
            self = r;
            r.DefineImport("host-add", (args, results) =>
            {
                inner = Assert.ThrowsAsync<PluginCallException>(async () => await self!.CallAsync("add", Args(("a", 1), ("b", 1)))).GetAwaiter().GetResult();
                results[0] = ComponentValue.U32(0);
            });
        });
        await runtime.CallAsync("via-host", Args(("a", 1), ("b", 2)));
        Assert.Equal(PluginErrorKind.Reentrant, inner!.Kind);
    }

    [Fact]
    public async Task Typed_calls_with_component_values_share_the_rules()
    {
        await using var runtime = await StartAsync("typed");
        var result = await runtime.InvokeComponentAsync("add", [ComponentValue.U32(20), ComponentValue.U32(22)]);
        Assert.Equal(42u, result!.AsU32());
        var count = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.InvokeComponentAsync("add", [ComponentValue.U32(1)]));
        Assert.Equal(PluginErrorKind.InvalidArgument, count.Kind);
        await runtime.StopAsync();
        var stopped = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.InvokeComponentAsync("add", [ComponentValue.U32(1), ComponentValue.U32(1)]));
        Assert.Equal(PluginErrorKind.NotStarted, stopped.Kind);
    }

    [Fact]
    public async Task A_core_module_where_the_manifest_declares_a_component_is_refused_by_name()
    {
        var path = ComponentGuests.Add(_pool, "core", wat: "(module (func (export \"add\") (param i32 i32) (result i32) local.get 0))");
        var runtime = PluginRuntime.Create("core", path);
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains("core WebAssembly module", ex.Message);
        Assert.False(runtime.IsRunning);
    }

    [Fact]
    public async Task A_component_of_another_world_is_refused_naming_the_missing_export()
    {
        var wit = ComponentGuests.Wit.Replace("export crash: func();", "export crash: func();\n  export reset: func();");
        var path = ComponentGuests.Add(_pool, "other", wit: wit);
        var runtime = PluginRuntime.Create("other", path);
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains("the component does not export 'reset' of the world 'calc'", ex.Message);
        var arity = ComponentGuests.Add(_pool, "arity", wit: ComponentGuests.Wit.Replace("export spin: func();", "export spin: func(n: u32);"));
        var second = await Assert.ThrowsAsync<PluginLoadException>(async () => await PluginRuntime.Create("arity", arity).StartAsync());
        Assert.Contains("the export 'spin' takes 0 parameter(s), but the world 'calc' says 1", second.Message);
    }

    [Fact]
    public async Task A_missing_world_or_broken_wit_is_refused_at_its_place()
    {
        var missing = ComponentGuests.Add(_pool, "noworld", ComponentGuests.Manifest("noworld", world: "nothing"));
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await PluginRuntime.Create("noworld", missing).StartAsync());
        Assert.Contains("world 'nothing' is not defined (the files define calc)", ex.Message);
        Assert.Equal("$.component.world", ex.Field);
        var broken = ComponentGuests.Add(_pool, "broken", wit: ComponentGuests.Wit.Replace("export echo: func(s: string) -> string;", "export echo: func(s: strin) -> string;"));
        var syntax = await Assert.ThrowsAsync<PluginLoadException>(async () => await PluginRuntime.Create("broken", broken).StartAsync());
        Assert.Contains("type 'strin' is not defined in 'calc'", syntax.Message);
        Assert.Matches(@"calc\.wit\(13,\d+\)", syntax.Message);
    }

    [Fact]
    public async Task Results_of_composite_types_are_json_nodes()
    {
        // Composite results are JsonNode trees, which every transport serializes; checked here on the value mapper.
        var wit = """
            package t:v;
            interface types {
              record point { x: s32, label: string, tags: list<u8> }
              variant shape { circle(f64), empty }
              flags perms { read, write }
            }
            world w { use types.{point, shape, perms}; export f: func(p: point, s: shape, q: perms, o: option<u32>, r: result<string, u8>, t: tuple<bool, char>); }
            """;
        var problems = new List<Vyra.Sdk.Wit.WitProblem>();
        var world = Vyra.Sdk.Wit.WitResolver.Load([new("t.wit", wit)], problems).ResolveWorld("w");
        Assert.Empty(problems);
        var parameters = world!.ExportedFunctions[0].Params;
        var input = JsonNode.Parse("""{"x": -5, "label": "p", "tags": [1, 2]}""")!;
        var point = ComponentValues.ToComponent(input, parameters[0].Type, "p");
        Assert.Equal(input.ToJsonString(), Assert.IsAssignableFrom<JsonNode>(ComponentValues.FromComponent(point, parameters[0].Type)).ToJsonString());
        var circle = ComponentValues.ToComponent(JsonNode.Parse("""{"circle": 1.5}"""), parameters[1].Type, "s");
        Assert.Equal("""{"circle":1.5}""", ((JsonNode)ComponentValues.FromComponent(circle, parameters[1].Type)!).ToJsonString());
        Assert.Equal("empty", ((JsonNode)ComponentValues.FromComponent(ComponentValues.ToComponent("empty", parameters[1].Type, "s"), parameters[1].Type)!).GetValue<string>());
        Assert.Equal("""["write"]""", ((JsonNode)ComponentValues.FromComponent(ComponentValues.ToComponent(new[] { "write" }, parameters[2].Type, "q"), parameters[2].Type)!).ToJsonString());
        Assert.Null(ComponentValues.FromComponent(ComponentValues.ToComponent(null, parameters[3].Type, "o"), parameters[3].Type));
        Assert.Equal("""{"err":7}""", ((JsonNode)ComponentValues.FromComponent(ComponentValues.ToComponent(JsonNode.Parse("""{"err": 7}"""), parameters[4].Type, "r"), parameters[4].Type)!).ToJsonString());
        Assert.Equal("""[true,"x"]""", ((JsonNode)ComponentValues.FromComponent(ComponentValues.ToComponent(new object[] { true, "x" }, parameters[5].Type, "t"), parameters[5].Type)!).ToJsonString());
        var bad = Assert.Throws<ComponentValueException>(() => ComponentValues.ToComponent(JsonNode.Parse("""{"x": 1, "label": "p", "tags": [1, 300]}"""), parameters[0].Type, "p"));
        Assert.Equal("argument 'p.tags[1]': 300 is out of range for u8 (0..255)", bad.Message);
        var field = Assert.Throws<ComponentValueException>(() => ComponentValues.ToComponent(JsonNode.Parse("""{"x": 1, "label": "p"}"""), parameters[0].Type, "p"));
        Assert.Contains("the record point needs the field 'tags'", field.Message);
        var @case = Assert.Throws<ComponentValueException>(() => ComponentValues.ToComponent("square", parameters[1].Type, "s"));
        Assert.Contains("'square' is not a case of the variant shape (circle, empty)", @case.Message);
    }
}
