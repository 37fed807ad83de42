using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vyra.Sdk.Tests.Support;
using Vyra.Sdk.Wit;
using Wasmtime.Components;
using Xunit;

namespace Vyra.Sdk.Tests.Components;

/// <summary>
/// Every WIT type kind through real Wasmtime in both directions: <c>CallAsync</c> lowers a JSON-shaped value into the
/// export <c>echo-k</c>, whose guest passes it unchanged to the host import <c>host-k</c>, whose host implementation
/// records it and returns it, and the guest returns what the host gave it. The guest is component text built here from
/// the WIT (flattened by the Canonical ABI's rules), so the test needs no tools.
/// </summary>
public class RoundTripTests : IDisposable
{
    private readonly TempPool _pool = new("roundtrip");

    public void Dispose() => _pool.Dispose();

    // kind name, WIT type, JSON values to send (each must come back equal).
    private static readonly (string Name, string Wit, string[] Values)[] Cases =
    [
        ("bool", "bool", ["true", "false"]),
        ("s8", "s8", ["-128", "127"]),
        ("u8", "u8", ["0", "255"]),
        ("s16", "s16", ["-32768", "32767"]),
        ("u16", "u16", ["65535"]),
        ("s32", "s32", ["-2147483648", "2147483647"]),
        ("u32", "u32", ["4294967295"]),
        ("s64", "s64", ["-9223372036854775808", "9223372036854775807"]),
        ("u64", "u64", ["18446744073709551615"]),
        ("f32", "f32", ["-2.25", "1.5"]),
        ("f64", "f64", ["3.141592653589793", "-1e300"]),
        ("char", "char", ["\"x\"", "\"😀\"", "\"é\""]),
        ("string", "string", ["\"\"", "\"héllo 🎉 wörld\""]),
        ("list", "list<u32>", ["[]", "[1, 2, 4294967295]"]),
        ("strings", "list<string>", ["[\"a\", \"\", \"ü\"]"]),
        ("option", "option<u32>", ["null", "7"]),
        ("option-string", "option<string>", ["null", "\"some\""]),
        ("result", "result<string, u8>", ["{\"ok\": \"fine\"}", "{\"err\": 42}"]),
        ("result-empty", "result", ["{\"ok\": null}", "{\"err\": null}"]),
        ("tuple", "tuple<string, u8, bool>", ["[\"t\", 9, true]"]),
        ("record", "point", ["{\"x\": -5, \"label\": \"p\", \"tags\": [1, 2]}"]),
        ("variant", "shape", ["{\"circle\": 1.5}", "{\"rect\": [2.5, -1]}", "{\"named\": \"n\"}", "\"empty\""]),
        ("enum", "color", ["\"red\"", "\"dark-blue\""]),
        ("flags", "perms", ["[]", "[\"read\", \"exec\"]"]),
        ("alias", "id", ["12345678901"]),
        ("nested", "list<option<point>>", ["[null, {\"x\": 1, \"label\": \"q\", \"tags\": []}]"]),
    ];

    private const string Types = """
        interface types {
          type id = u64;
          record point { x: s32, label: string, tags: list<u8> }
          variant shape { circle(f64), rect(tuple<f32, f32>), named(string), empty }
          enum color { red, green, dark-blue }
          flags perms { read, write, exec }
        }
        """;

    private static string WorldWit()
    {
        var wit = new StringBuilder("package rt:all;\n\n").Append(Types).Append("\n\nworld rt {\n  use types.{id, point, shape, color, perms};\n");
        foreach (var (name, type, _) in Cases)
        {
            wit.Append($"  import host-{name}: func(v: {type}) -> {type};\n");
            wit.Append($"  export echo-{name}: func(v: {type}) -> {type};\n");
        }
        return wit.Append("}\n").ToString();
    }

    [Fact]
    public async Task Every_type_kind_round_trips_through_an_export_and_a_host_import()
    {
        var wit = WorldWit();
        var problems = new List<WitProblem>();
        var world = WitResolver.Load([new("rt.wit", wit)], problems).ResolveWorld("rt");
        Assert.True(world is not null, string.Join("\n", problems));
        var folder = _pool.Add("rt", json: """{"id":"rt","version":"1.0.0","component":{"world":"rt","wit":"rt.wit"}}""");
        File.WriteAllText(Path.Combine(folder, "rt.wit"), wit);
        File.WriteAllText(Path.Combine(folder, "logic.wat"), GuestWat(world!));

        var runtime = Assert.IsType<ComponentRuntime>(PluginRuntime.Create("rt", Path.Combine(folder, "logic.wat")));
        var received = new Dictionary<string, JsonNode?>();
        foreach (var import in world!.ImportedFunctions)
        {
            var type = import.Result!;
            var name = import.Name;
            runtime.DefineImport(name, (args, results) =>
            {
                received[name] = ToNode(ComponentValues.FromComponent(args[0], type));
                results[0] = args[0];
            });
        }
        await using (runtime)
        {
            await runtime.StartAsync();
            foreach (var (name, _, values) in Cases)
            {
                foreach (var json in values)
                {
                    var input = JsonSerializer.Deserialize<JsonElement>(json);
                    var result = await runtime.CallAsync("echo-" + name, new Dictionary<string, object?> { ["v"] = input });
                    var expected = JsonNode.Parse(json);
                    Assert.True(JsonNode.DeepEquals(expected, received["host-" + name]), $"{name}: the host import got {received["host-" + name]?.ToJsonString() ?? "null"} for {json}");
                    Assert.True(JsonNode.DeepEquals(expected, ToNode(result["result"])), $"{name}: the export returned {ToNode(result["result"])?.ToJsonString() ?? "null"} for {json}");
                }
            }
        }
    }

    private static JsonNode? ToNode(object? value) => value is JsonNode node ? node.DeepClone() : JsonSerializer.SerializeToNode(value);

    // ---- the guest: component text from the world -------------------------------------------------------------------

    private static string GuestWat(WitWorld world)
    {
        var wat = new StringBuilder("(component\n");
        var names = new Dictionary<WitType, string>();
        foreach (var type in world.AllTypes())
        {
            var id = "$" + type.Name;
            wat.Append($"  (type {id}-def {Definition(type, names)})\n  (import \"{type.Name}\" (type {id} (eq {id}-def)))\n");
            names[type] = id;
        }
        foreach (var f in world.ImportedFunctions)
        {
            wat.Append($"  (import \"{f.Name}\" (func ${f.Name} (param \"v\" {TypeRef(f.Params[0].Type, names)}) (result {TypeRef(f.Result!, names)})))\n");
        }
        wat.Append("""
              (core module $mem
                (memory (export "mem") 1)
                (global $next (mut i32) (i32.const 8192))
                (func (export "realloc") (param i32 i32 i32 i32) (result i32)
                  (local $at i32)
                  global.get $next local.get 2 i32.add i32.const 1 i32.sub
                  i32.const 0 local.get 2 i32.sub i32.and local.tee $at
                  local.get 3 i32.add global.set $next local.get $at))
              (core instance $mi (instantiate $mem))

            """);
        const string Options = "(memory (core memory $mi \"mem\")) (realloc (core func $mi \"realloc\"))";
        foreach (var f in world.ImportedFunctions) wat.Append($"  (core func ${f.Name}-low (canon lower (func ${f.Name}) {Options}))\n");
        wat.Append("  (core module $m\n");
        foreach (var f in world.ImportedFunctions)
        {
            var flat = Flat(f.Result!);
            var parameters = string.Join(" ", flat) + (flat.Count > 1 ? " i32" : "");
            var result = flat.Count == 1 ? $" (result {flat[0]})" : "";
            wat.Append($"    (import \"h\" \"{f.Name}\" (func ${f.Name} (param {parameters}){result}))\n");
        }
        foreach (var f in world.ExportedFunctions)
        {
            var flat = Flat(f.Result!);
            var gets = string.Concat(Enumerable.Range(0, flat.Count).Select(i => $" local.get {i}"));
            var host = "$host-" + f.Name["echo-".Length..];
            var body = flat.Count == 1 ? $"{gets} call {host}" : $"{gets} i32.const 1024 call {host} i32.const 1024";
            wat.Append($"    (func (export \"{f.Name}\") (param {string.Join(" ", flat)}) (result {(flat.Count == 1 ? flat[0] : "i32")}){body})\n");
        }
        wat.Append("  )\n  (core instance $hi");
        foreach (var f in world.ImportedFunctions) wat.Append($" (export \"{f.Name}\" (func ${f.Name}-low))");
        wat.Append(")\n  (core instance $i (instantiate $m (with \"h\" (instance $hi))))\n");
        foreach (var f in world.ExportedFunctions)
        {
            var type = TypeRef(f.Result!, names);
            wat.Append($"  (func (export \"{f.Name}\") (param \"v\" {type}) (result {type}) (canon lift (core func $i \"{f.Name}\") {Options}))\n");
        }
        return wat.Append(")\n").ToString();
    }

    private static string Definition(WitType type, Dictionary<WitType, string> names) => type.Kind switch
    {
        WitKind.Record => "(record " + string.Join(" ", type.Fields.Select(f => $"(field \"{f.Name}\" {TypeRef(f.Type, names)})")) + ")",
        WitKind.Variant => "(variant " + string.Join(" ", type.Cases.Select(c => c.Type is null ? $"(case \"{c.Name}\")" : $"(case \"{c.Name}\" {TypeRef(c.Type, names)})")) + ")",
        WitKind.Enum => "(enum " + string.Join(" ", type.Names.Select(n => $"\"{n}\"")) + ")",
        WitKind.Flags => "(flags " + string.Join(" ", type.Names.Select(n => $"\"{n}\"")) + ")",
        _ => throw new InvalidOperationException(type.ToString()),
    };

    private static string TypeRef(WitType type, Dictionary<WitType, string> names)
    {
        if (names.TryGetValue(type, out var id)) return id;
        return type.Kind switch
        {
            WitKind.List => $"(list {TypeRef(type.Element!, names)})",
            WitKind.Option => $"(option {TypeRef(type.Element!, names)})",
            WitKind.Tuple => "(tuple " + string.Join(" ", type.Items.Select(t => TypeRef(t, names))) + ")",
            WitKind.Result => "(result" + (type.Ok is null ? "" : " " + TypeRef(type.Ok, names)) + (type.Err is null ? "" : $" (error {TypeRef(type.Err, names)})") + ")",
            _ => type.Kind.ToString().ToLowerInvariant(),
        };
    }

    /// <summary>The Canonical ABI's flattening of a type into core value types.</summary>
    private static List<string> Flat(WitType type)
    {
        switch (type.Kind)
        {
            case WitKind.S64 or WitKind.U64: return ["i64"];
            case WitKind.F32: return ["f32"];
            case WitKind.F64: return ["f64"];
            case WitKind.String or WitKind.List: return ["i32", "i32"];
            case WitKind.Record: return [.. type.Fields.SelectMany(f => Flat(f.Type))];
            case WitKind.Tuple: return [.. type.Items.SelectMany(Flat)];
            case WitKind.Flags: return type.Names.Count == 0 ? [] : type.Names.Count <= 32 ? ["i32"] : ["i32", "i32"];
            case WitKind.Option: return Joined(null, type.Element);
            case WitKind.Result: return Joined(type.Ok, type.Err);
            case WitKind.Variant: return Joined([.. type.Cases.Select(c => c.Type)]);
            default: return ["i32"];
        }
    }

    private static List<string> Joined(params WitType?[] payloads)
    {
        var joined = new List<string>();
        foreach (var payload in payloads)
        {
            if (payload is null) continue;
            var flat = Flat(payload);
            for (var i = 0; i < flat.Count; i++)
            {
                if (i == joined.Count) joined.Add(flat[i]);
                else if (joined[i] != flat[i]) joined[i] = (joined[i], flat[i]) is ("i32", "f32") or ("f32", "i32") ? "i32" : "i64";
            }
        }
        return ["i32", .. joined];
    }
}
