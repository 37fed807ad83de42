extern alias Kernel;
using System.Globalization;
using System.Text;
using CsCheck;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Vyra.Sdk.Generators.Parsing;
using Xunit;
using KernelReader = Kernel::Vyra.Sdk.ManifestReader;
using PluginLoadException = Kernel::Vyra.Sdk.PluginLoadException;

namespace Vyra.Sdk.Generators.Tests;

/// <summary>
/// The runtime and the build read manifests through one contract (docs/manifest.md): for generated manifests, valid
/// and broken, in both formats, the kernel refuses exactly when the generator reports an error, and then with the same
/// message at the same line and column.
/// </summary>
public sealed class ContractAgreementTests
{
    // A manifest as a tree of fields; null values are written as YAML/JSON null, Omit drops the field.
    private static readonly object Omit = new();

    /// <summary>Mostly a valid value, now and then one of the broken ones: most manifests stay valid, every field breaks sometimes.</summary>
    private static Gen<object?> Mostly(Gen<object?> valid, params object?[] broken) =>
        Gen.Int[0, 39 + broken.Length].SelectMany(i => i < 40 ? valid : Gen.Const<object?>(broken[i - 40]));

    private static Gen<object?> Either(params object?[] values) => Gen.OneOf(values.Select(v => Gen.Const<object?>(v)).ToArray());

    private static readonly Gen<object?> Id = Mostly(Either("counter-widget", "a.b", "x.y.z"), "Bad Id", 42L, "a.b.c.d", Omit);

    private static readonly Gen<object?> Version = Mostly(Either("1.0.0", "2.1.0-beta.1"), "1.2", 1.5, DBNull.Value, Omit);

    private static readonly Gen<object?> Scope = Mostly(
        Either(Map(("type", "MODULE"), ("target", "m")), Map(("type", "template"), ("target", "t"), ("owner_module", "o"))),
        Map(("type", "PLANET"), ("target", "m")), Map(("type", "GLOBAL")), "module", "galaxy", 7L, Omit);

    private static readonly Gen<string> TypeName = Gen.Frequency((30, Gen.OneOf(Gen.Const("i32"), Gen.Const("i64"), Gen.Const("f32"), Gen.Const("f64"))),
        (1, Gen.Const("string")), (1, Gen.Const("json")), (1, Gen.Const("i33")));

    private static readonly Gen<string> Name = Gen.Frequency((30, Gen.OneOf(Gen.Const("add"), Gen.Const("step"), Gen.Const("init"), Gen.Const("get_count"), Gen.Const("x"))),
        (1, Gen.Const("1bad")));

    private static readonly Gen<object?> Arg = Gen.Select(Name, TypeName, Gen.Int[0, 60], (n, t, shape) => shape switch
    {
        0 => (object?)Map(("type", t)),
        1 => "just-a-string",
        _ => Map(("name", n), ("type", t)),
    });

    private static readonly Gen<object?> Export = Gen.Select(Name, Arg.List[0, 2], Gen.Int[0, 60], (n, args, shape) => shape switch
    {
        0 => (object?)n,
        1 => Map(("args", args)),
        2 => Map(("name", n), ("args", args), ("returns", "void")),
        3 => Map(("name", n), ("args", args), ("returns", "i99")),
        _ => Map(("name", n), ("args", args)),
    });

    private static readonly Gen<object?> Limits = Gen.Select(Gen.Frequency((24, Gen.Const(0)), (1, Gen.Int[1, 5])), shape => shape switch
    {
        0 => (object?)Map(("memory_mb", 16L)),
        1 => Map(("memory_mb", -4L)),
        2 => Map(("cpu_shares", 2.0)),
        3 => Map(("timeout_ms", "soon")),
        4 => "fast",
        _ => Omit,
    });

    private static readonly Gen<object?> Permissions = Gen.Select(Gen.Frequency((24, Gen.Const(0)), (1, Gen.Int[1, 5])), shape => shape switch
    {
        0 => (object?)Map(("interfaces", new List<object?> { Map(("transport", "publish"), ("module_name", "m"), ("module_id", null)), "client:n" }), ("storage", "none")),
        1 => Map(("interfaces", new List<object?> { Map(("transport", "shout"), ("module_name", "m")) })),
        2 => Map(("storage", false)),
        3 => Map(("network", "yes")),
        4 => Map(("interfaces", new List<object?> { ":" })),
        _ => Omit,
    });

    private static readonly Gen<object?> State = Gen.Select(Gen.Frequency((24, Gen.Const(0)), (1, Gen.Int[1, 5])), shape => shape switch
    {
        0 => (object?)Map(("start", Map(("type", "i32"), ("default", 3L)))),
        1 => Map(("start", Map(("type", "i32"), ("default", "three")))),
        2 => Map(("label", "plain"), ("ratio", 0.5)),
        3 => Map(("big", Map(("type", "bytes"), ("default", "not base64!")))),
        4 => "state",
        _ => Omit,
    });

    private static readonly Gen<object?> Priority = Mostly(Either(50L, Omit), 101L, "high");

    private static readonly Gen<object?> Checksum = Mostly(Either("", "sha256:" + new string('a', 64), Omit), "md5:1");

    private static readonly Gen<(bool Yaml, Dictionary<string, object?> Manifest)> Manifests =
        Gen.Select(Gen.Bool, Gen.Select(Id, Version, Scope, Export.List[0, 3], Gen.Bool), Gen.Select(Limits, Permissions, State, Priority, Checksum),
            (yaml, a, b) =>
            {
                var (id, version, scope, exports, exportsAtTop) = a;
                var (limits, permissions, state, priority, checksum) = b;
                var backend = new Dictionary<string, object?>();
                if (limits != Omit) backend["runtime_limits"] = limits;
                if (!exportsAtTop) backend["exports"] = exports;
                var manifest = new Dictionary<string, object?>
                {
                    ["id"] = id, ["name"] = "Plugin", ["version"] = version, ["scope"] = scope, ["permissions"] = permissions,
                    ["initial_state"] = state, ["priority"] = priority, ["checksum"] = checksum, ["unknown_field"] = Map(("kept", true)),
                };
                if (exportsAtTop) manifest["exports"] = exports;
                manifest["entry_points"] = Map(("backend", backend));
                foreach (var key in manifest.Where(kv => kv.Value == Omit).Select(kv => kv.Key).ToList()) manifest.Remove(key);
                return (yaml, manifest);
            });

    [Fact]
    public void Kernel_and_generator_give_the_same_verdict_and_the_same_located_message()
    {
        var refused = new int[2];
        var accepted = new int[2];
        Manifests.Sample(sample =>
        {
            var (yaml, manifest) = sample;
            var path = yaml ? "/pool/p/1.0.0/manifest.yaml" : "/pool/p/1.0.0/metadata.json";
            var text = yaml ? Yaml(manifest) : Json(manifest);
            if (AssertAgreement(path, text)) Interlocked.Increment(ref refused[yaml ? 1 : 0]);
            else Interlocked.Increment(ref accepted[yaml ? 1 : 0]);
        }, iter: 400, threads: 1);
        // The generators must reach both verdicts in both formats, or the agreement proves nothing.
        Assert.All(refused.Concat(accepted), count => Assert.True(count >= 10, $"refused {string.Join("/", refused)}, accepted {string.Join("/", accepted)}"));
    }

    [Theory]
    [InlineData("metadata.json", "{ \"id\": \"a\",")]
    [InlineData("metadata.json", "[1, 2]")]
    [InlineData("manifest.yaml", "id: a\nx: &anchor 1\n")]
    [InlineData("manifest.yaml", "- a\n")]
    [InlineData("manifest.yaml", "id: a\nname: A\nversion: 1.0.0\nscope: {type: MODULE, target: m}\nentry_points: {backend: {exports: [{name: f, args: [{name: s, type: string}]}]}}\n")]
    [InlineData("metadata.json", "{\"id\":\"a\",\n\"x\":\"line\u2028break\",\n\"version\":\"1.2\"}")]
    [InlineData("metadata.json", "{\"id\":\"a\",\r\"version\":\"1.2\"}")]
    [InlineData("metadata.json", "{\"id\":\"a\",\"x\":\"\\ud800\"}")]
    [InlineData("metadata.json", "{\"id\":\"a\",\"exports\":[{\"name\":\"_\",\"args\":[]}]}")]
    [InlineData("manifest.yaml", "id: a\nname: A\nversion: 1.0.0\u2028\nscope: 7\n")]
    public void Broken_text_is_refused_alike(string file, string text) => AssertAgreement("/pool/p/1.0.0/" + file, text);

    /// <summary>Asserts kernel and generator agree; true when both refused.</summary>
    private static bool AssertAgreement(string path, string text)
    {
        string? kernelMessage = null;
        try
        {
            KernelReader.Parse(text, path);
        }
        catch (PluginLoadException ex)
        {
            kernelMessage = ex.Message;
        }
        var result = ManifestParser.Parse(path, SourceText.From(text), null, CancellationToken.None);
        var firstError = result.Diagnostics.Select(d => d.ToDiagnostic()).FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
        var input = $"\n--- {path}\n{text}";
        Assert.True((kernelMessage is null) == (firstError is null),
            $"kernel: {kernelMessage ?? "accepted"}; generator: {firstError?.ToString() ?? "accepted"}{input}");
        if (firstError is null) return false;
        var start = firstError.Location.GetLineSpan().StartLinePosition;
        var expected = $"{path}({start.Line + 1},{start.Character + 1}): {firstError.GetMessage(CultureInfo.InvariantCulture)} [field ";
        Assert.True(kernelMessage!.StartsWith(expected, StringComparison.Ordinal), $"kernel: {kernelMessage}\nexpected: {expected}{input}");
        return true;
    }

    private static Dictionary<string, object?> Map(params (string Key, object? Value)[] fields) => fields.ToDictionary(f => f.Key, f => f.Value);

    private static string Json(object? value)
    {
        var builder = new StringBuilder();
        WriteJson(value, builder, 0);
        return builder.ToString();
    }

    private static void WriteJson(object? value, StringBuilder b, int indent)
    {
        var pad = new string(' ', indent + 2);
        switch (value)
        {
            case Dictionary<string, object?> map:
                b.Append("{\n");
                var i = 0;
                foreach (var (key, v) in map)
                {
                    b.Append(pad).Append(Quote(key)).Append(": ");
                    WriteJson(v, b, indent + 2);
                    b.Append(++i < map.Count ? ",\n" : "\n");
                }
                b.Append(new string(' ', indent)).Append('}');
                break;
            case List<object?> list:
                b.Append('[');
                for (var j = 0; j < list.Count; j++)
                {
                    if (j > 0) b.Append(", ");
                    WriteJson(list[j], b, indent + 2);
                }
                b.Append(']');
                break;
            default:
                b.Append(Scalar(value));
                break;
        }
    }

    private static string Yaml(Dictionary<string, object?> manifest)
    {
        var builder = new StringBuilder("# generated\n");
        WriteYamlMap(manifest, builder, 0);
        return builder.ToString();
    }

    private static void WriteYamlMap(Dictionary<string, object?> map, StringBuilder b, int indent)
    {
        foreach (var (key, value) in map)
        {
            b.Append(new string(' ', indent)).Append(key).Append(':');
            WriteYamlValue(value, b, indent);
        }
    }

    private static void WriteYamlValue(object? value, StringBuilder b, int indent)
    {
        switch (value)
        {
            case Dictionary<string, object?> { Count: 0 }:
                b.Append(" {}\n");
                break;
            case Dictionary<string, object?> map:
                b.Append('\n');
                WriteYamlMap(map, b, indent + 2);
                break;
            case List<object?> { Count: 0 }:
                b.Append(" []\n");
                break;
            case List<object?> list:
                b.Append('\n');
                foreach (var item in list)
                {
                    b.Append(new string(' ', indent + 2)).Append("- ");
                    if (item is Dictionary<string, object?> { Count: > 0 } itemMap)
                    {
                        // The first field on the dash line, the rest aligned under it: upstream's block style.
                        var first = true;
                        foreach (var (k, v) in itemMap)
                        {
                            if (!first) b.Append(new string(' ', indent + 4));
                            first = false;
                            b.Append(k).Append(':');
                            WriteYamlValue(v, b, indent + 4);
                        }
                    }
                    else
                    {
                        b.Append(item is Dictionary<string, object?> ? "{}" : item is List<object?> ? "[]" : Scalar(item)).Append('\n');
                    }
                }
                break;
            default:
                b.Append(' ').Append(Scalar(value)).Append('\n');
                break;
        }
    }

    private static string Scalar(object? value) => value switch
    {
        null or DBNull => "null",
        bool flag => flag ? "true" : "false",
        long n => n.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        string s => Quote(s),
        _ => throw new ArgumentOutOfRangeException(nameof(value)),
    };

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
