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
        File.WriteAllText(Path.Combine(folder, "logic.wat"), ComponentText.EchoGuest(world!));

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
}
