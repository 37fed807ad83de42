using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Vyra.Sdk;
using Xunit;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>
/// Property-based tests over the two parsers hostile input reaches first: the manifest reader (any bytes give a
/// manifest or a <see cref="PluginLoadException"/>, fast) and the argument coercion (any value gives a number or a
/// <see cref="FormatException"/>, and integers wrap the way Python's ctypes-style casts do).
/// </summary>
public class PropertyTests
{
    /// <summary>Upper bound for one parse of a small input; far above the real cost, well below a hang.</summary>
    private static readonly TimeSpan PerInput = TimeSpan.FromSeconds(20); // a hang guard, not a timing check: a busy machine must not fail it

    // ---- the manifest reader -----------------------------------------------------------------------------------

    private static readonly string[] SeedManifests =
    [
        """
        {
          "id": "counter-widget",
          "version": "1.0.0",
          "name": "Counter",
          "exports": [
            { "name": "init", "args": [{ "name": "start", "type": "i32" }] },
            { "name": "increment", "args": [{ "name": "step", "type": "i32" }], "returns": "i32" },
            "get_count"
          ],
          "imports": ["host_log", { "name": "host_emit_event", "args": [{ "name": "t", "type": "string" }], "returns": "void" }],
          "initial_state": { "start": { "type": "i32", "default": 0 }, "label": "x" },
          "events": ["sensor.*", "ui.click"],
          "entry_points": { "backend": { "runtime_limits": { "memory_mb": 16, "timeout_ms": 1000, "fuel": 5000 } } },
          "ui": { "slots": [{ "slot": "sidebar" }] }
        }
        """,
        """{"id":"a.b-c","exports":[{"name":"f","args":[{"name":"s","type":"string"},{"name":"j","type":"json"}],"returns":["i64","bytes"]}]}""",
        """
        // comments and trailing commas are accepted
        { "id": "x", "version": "0.1.0-beta+7", "exports": null, "initial_state": {}, }
        """,
    ];

    /// <summary>Parses, and checks the outcome is a manifest or a load exception that says where.</summary>
    private static void ParsesOrFailsCleanly(byte[] input)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var manifest = ManifestReader.Parse(input, "fuzz.json");
            Assert.NotNull(manifest);
            Assert.False(string.IsNullOrWhiteSpace(manifest.Id));
        }
        catch (PluginLoadException ex)
        {
            Assert.StartsWith("fuzz.json", ex.Message);
            Assert.Equal("fuzz.json", ex.FilePath);
            Assert.True(ex.Line is null or >= 1, $"line {ex.Line}");
        }
        catch (Exception ex)
        {
            Assert.Fail($"ManifestReader.Parse threw {ex.GetType().Name} for {Show(input)}: {ex}");
        }
        Assert.True(watch.Elapsed < PerInput, $"parsing {Show(input)} took {watch.ElapsedMilliseconds} ms");
    }

    private static string Show(byte[] input) =>
        input.Length <= 400 ? $"\"{Encoding.UTF8.GetString(input)}\" (hex {Convert.ToHexString(input)})" : $"{input.Length} bytes";

    /// <summary>Runs a property on a worker with an overall deadline, so a hang fails the test instead of stalling it.</summary>
    private static Task WithDeadline(Action property, int seconds = 30) =>
        Task.Run(property).WaitAsync(TimeSpan.FromSeconds(seconds));

    [Fact]
    public Task The_manifest_reader_gives_a_manifest_or_a_plugin_load_exception_for_random_bytes() => WithDeadline(() =>
        Gen.Byte.Array[0, 256].Sample(ParsesOrFailsCleanly, iter: 3_000));

    private static readonly Gen<byte> JsonishByte = Gen.Frequency(
        (3, Gen.Byte),
        (5, Gen.OneOf("{}[]\",:\\ -+.eE0123456789tfnul/*\n\uFFFF".Select(c => (byte)c).ToArray())));

    private static readonly Gen<byte[]> MutatedManifest =
        Gen.Select(Gen.Int[0, SeedManifests.Length - 1], Gen.Select(Gen.Int[0, 5], Gen.Int.NonNegative, Gen.Int[0, 12], JsonishByte.Array[1, 6]).Array[1, 5])
            .Select(t => Mutate(Encoding.UTF8.GetBytes(SeedManifests[t.Item1]), t.Item2));

    private static byte[] Mutate(byte[] seed, (int Op, int Position, int Length, byte[] Bytes)[] mutations)
    {
        var bytes = seed.ToList();
        foreach (var (op, position, length, insert) in mutations)
        {
            var at = bytes.Count == 0 ? 0 : position % bytes.Count;
            var n = Math.Min(length, bytes.Count - at);
            switch (op)
            {
                case 0: bytes.RemoveRange(at, n); break;                                        // delete a range
                case 1: bytes.InsertRange(at, insert); break;                                   // insert bytes
                case 2: for (var i = 0; i < Math.Min(insert.Length, bytes.Count - at); i++) bytes[at + i] = insert[i]; break; // overwrite
                case 3: bytes.RemoveRange(at, bytes.Count - at); break;                        // truncate
                case 4: bytes.InsertRange(at, bytes.GetRange(at, n)); break;                   // duplicate a range
                default: if (bytes.Count > 0) bytes[at] ^= (byte)(1 << (length % 8)); break;    // flip a bit
            }
        }
        return [.. bytes];
    }

    [Fact]
    public Task The_manifest_reader_gives_a_manifest_or_a_plugin_load_exception_for_mutated_manifests() => WithDeadline(() =>
        MutatedManifest.Sample(ParsesOrFailsCleanly, iter: 6_000));

    private static readonly Gen<string> JsonString = Gen.Frequency(
        (4, Gen.OneOf("", "i32", "i64", "f32", "f64", "bool", "string", "bytes", "json", "void", "x", "counter-widget", "a.b",
            "1.0.0", "01.0.0", "Name With Space", "_ok", "9bad", "init", "host_log", "\\u0000", "\\ud800", "\\\"", "ü", "😀", " ")),
        (1, Gen.Char["abcxyz_.-09 \u00e9\u4e2d"].Array[0, 12].Select(cs => new string(cs))));

    private static readonly Gen<string> JsonScalar = Gen.Frequency(
        (2, Gen.OneOf("null", "true", "false", "0", "-0", "1", "-1", "16", "1.5", "1e3", "1e400", "-1e400", "9223372036854775807",
            "9223372036854775808", "18446744073709551616", "123456789012345678901234567890", "0.0000001", "2e-400")),
        (2, Gen.Long.Select(l => l.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.Double.Where(double.IsFinite).Select(d => d.ToString("R", CultureInfo.InvariantCulture))),
        (5, JsonString.Select(s => "\"" + s + "\"")));

    private static readonly Gen<string> JsonValue = Gen.Recursive<string>((depth, value) => depth >= 4
        ? JsonScalar
        : Gen.Frequency(
            (5, JsonScalar),
            (1, value.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
            (1, Gen.Select(JsonString, value).Array[0, 4].Select(members => "{" + string.Join(",", members.Select(m => $"\"{m.Item1}\":{m.Item2}")) + "}"))));

    private static readonly Gen<string> ArgJson = Gen.Select(JsonString, Gen.Frequency((3, JsonString.Select(s => "\"" + s + "\"")), (1, JsonValue)))
        .Select(t => $$"""{"name":"{{t.Item1}}","type":{{t.Item2}}}""");

    private static readonly Gen<string> ExportJson = Gen.Frequency(
        (1, JsonValue),
        (1, JsonString.Select(s => "\"" + s + "\"")),
        (3, Gen.Select(JsonString, ArgJson.Array[0, 3], Gen.Frequency((1, JsonValue), (2, JsonString.Select(s => "\"" + s + "\"")))).Select(t =>
            $$"""{"name":"{{t.Item1}}","args":[{{string.Join(",", t.Item2)}}],"returns":{{t.Item3}}}""")));

    private static readonly Gen<string> FieldValue = Gen.Frequency((3, JsonValue), (1, Gen.Const("")));

    /// <summary>Manifests with the right keys and random values of every shape in them.</summary>
    private static readonly Gen<byte[]> StructuredManifest =
        Gen.Select(
            Gen.Frequency((3, JsonString.Select(s => "\"" + s + "\"")), (1, JsonValue)),
            Gen.Frequency((2, Gen.Const("\"1.0.0\"")), (1, JsonValue)),
            Gen.Frequency((1, JsonValue), (3, ExportJson.Array[0, 4].Select(e => "[" + string.Join(",", e) + "]"))),
            Gen.Select(FieldValue, FieldValue, FieldValue),
            Gen.Select(JsonValue, JsonValue, JsonValue))
        .Select(t =>
        {
            var (imports, state, events) = t.Item4;
            var (memory, timeout, fuel) = t.Item5;
            var parts = new List<string> { $"\"id\":{t.Item1}", $"\"version\":{t.Item2}", $"\"exports\":{t.Item3}" };
            if (imports.Length > 0) parts.Add($"\"imports\":{imports}");
            if (state.Length > 0) parts.Add($"\"initial_state\":{state}");
            if (events.Length > 0) parts.Add($"\"events\":{events}");
            parts.Add($"\"entry_points\":{{\"backend\":{{\"runtime_limits\":{{\"memory_mb\":{memory},\"timeout_ms\":{timeout},\"fuel\":{fuel}}}}}}}");
            return Encoding.UTF8.GetBytes("{" + string.Join(",", parts) + "}");
        });

    [Fact]
    public Task The_manifest_reader_gives_a_manifest_or_a_plugin_load_exception_for_structured_random_manifests() => WithDeadline(() =>
        StructuredManifest.Sample(ParsesOrFailsCleanly, iter: 6_000));

    public static TheoryData<string> NastyManifestHex
    {
        get
        {
            var data = new TheoryData<string>();
            void Add(string text) => data.Add(Convert.ToHexString(Encoding.UTF8.GetBytes(text)));
            void AddBytes(byte[] bytes) => data.Add(Convert.ToHexString(bytes));
            AddBytes([]);
            Add("   ");
            Add("null");
            Add("[]");
            Add("\"id\"");
            Add("42");
            Add("{");
            Add("{\"id\":\"x\"");
            Add("{\"id\":\"x\"} trailing");
            Add("{\"id\":\"x\",\"id\":\"y\"}");
            Add("{\"id\":\"x\",\"extra\":1,\"extra\":2}");
            Add(new string('[', 100_000) + new string(']', 100_000));
            Add("{\"id\":\"x\",\"ui\":" + new string('[', 63) + new string(']', 63) + "}");
            Add("{\"id\":\"x\",\"exports\":[" + string.Join(",", Enumerable.Range(0, 5_000).Select(i => $"\"f{i}\"")) + "]}");
            Add("{\"id\":\"" + new string('a', 200_000) + "\"}");
            Add("{\"id\":\"" + string.Concat(Enumerable.Repeat("a.", 50_000)) + "!\"}");
            Add("{\"id\":\"x\",\"version\":\"" + string.Concat(Enumerable.Repeat("0.", 50_000)) + "\"}");
            Add("{\"id\":\"x\",\"exports\":[{\"name\":\"f\",\"args\":[{\"name\":\"a\",\"type\":\"i32\"},{\"name\":\"a\",\"type\":\"i32\"}]}]}");
            Add("{\"id\":\"x\",\"entry_points\":{\"backend\":{\"runtime_limits\":{\"memory_mb\":1e400}}}}");
            Add("{\"id\":\"x\",\"entry_points\":{\"backend\":{\"runtime_limits\":{\"timeout_ms\":99999999999999999999999}}}}");
            Add("{\"id\":\"x\",\"entry_points\":{\"backend\":{\"runtime_limits\":\"fast\"}}}");
            Add("{\"id\":\"x\",\"initial_state\":{\"k\":{\"type\":\"nope\"}}}");
            Add("{\"id\":\"\\ud800\"}");
            Add("{\"id\":\"x\",\"\\udfff\":1}");
            AddBytes([0xEF, 0xBB, 0xBF, .. "{\"id\":\"x\"}"u8]);
            AddBytes([.. "{\"id\":\"x\",\"name\":\""u8, 0xFF, 0xFE, .. "\"}"u8]);
            AddBytes([.. "{\"id\":\"x\",\""u8, 0xC3, 0x28, .. "\":1}"u8]);
            AddBytes([.. "{\"id\":\""u8, 0xED, 0xA0, 0x80, .. "\"}"u8]);
            AddBytes([.. "{\"id\":\"x\",\"exports\":[\""u8, 0xF8, 0x88, 0x80, 0x80, 0x80, .. "\"]}"u8]);
            AddBytes([.. "{\"id\":\"x\"}"u8, 0x00]);
            Add("/* unterminated comment {\"id\":\"x\"}");
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(NastyManifestHex))]
    public void The_manifest_reader_gives_a_manifest_or_a_plugin_load_exception_for_nasty_inputs(string hex) => ParsesOrFailsCleanly(Convert.FromHexString(hex));

    // ---- argument coercion ---------------------------------------------------------------------------------------

    private static readonly Gen<string> NumberishString = Gen.Frequency(
        (3, Gen.OneOf("", " ", "0", "-0", "+0", " 42 ", "1_000", "1__0", "_1", "1_", "+-1", "--1", "1.5", "1e5", "1E-5", ".5", "5.",
            "inf", "-Infinity", "nan", "NaN", "0x10", "0b1", "1 2", "\t7\n", "١٢٣", "１２", "9".PadRight(400, '9'), "1e99999", "-1e99999",
            "true", "False", "null", "\0", "∞", "1,000", "1.2.3", "e", "-", "+", "_")),
        (2, Gen.Char["0123456789_+-.eE nafity\t"].Array[0, 24].Select(cs => new string(cs))),
        (1, Gen.String));

    private static readonly Gen<object?> AnyValue = Gen.Frequency<object?>(
        (2, Gen.Int.Select(i => (object?)i)),
        (2, Gen.Long.Select(l => (object?)l)),
        (1, Gen.ULong.Select(u => (object?)u)),
        (1, Gen.UInt.Select(u => (object?)u)),
        (1, Gen.Short.Select(s => (object?)s)),
        (1, Gen.UShort.Select(s => (object?)s)),
        (1, Gen.Byte.Select(b => (object?)b)),
        (1, Gen.SByte.Select(b => (object?)b)),
        (2, Gen.Double.Select(d => (object?)d)),
        (1, Gen.Double.Special.Select(d => (object?)d)),
        (1, Gen.Float.Select(f => (object?)f)),
        (1, Gen.Decimal.Select(m => (object?)m)),
        (1, Gen.Bool.Select(b => (object?)b)),
        (1, Gen.Char.Select(c => (object?)c)),
        (1, Gen.Long.Array[1, 4].Select(parts => (object?)parts.Aggregate(BigInteger.One, (acc, p) => acc * p + p))),
        (4, NumberishString.Select(s => (object?)s)),
        (2, JsonValue.Select(json => (object?)JsonDocument.Parse(json).RootElement.Clone())),
        (2, JsonValue.Select(json => (object?)JsonNode.Parse(json))),
        (1, Gen.Double.Special.Select(d => (object?)System.Text.Json.Nodes.JsonValue.Create(d))),
        (1, Gen.OneOf<object?>(null, new object(), DateTime.UnixEpoch, Guid.Empty, new int[] { 1 }, TimeSpan.FromSeconds(1), new Uri("http://x/"),
            default(JsonElement), Half.One, Int128.MaxValue, UInt128.MaxValue, new Complex(1, 1))));

    private static void NumberOrFormatException<T>(Func<object?, T> convert, object? value, string name)
    {
        try
        {
            convert(value);
        }
        catch (FormatException)
        {
        }
        catch (Exception ex)
        {
            Assert.Fail($"{name}({Describe(value)}) threw {ex.GetType().Name}: {ex.Message}");
        }
    }

    private static string Describe(object? value)
    {
        try
        {
            return DescribeUnsafe(value);
        }
        catch (Exception ex)
        {
            return $"a {value?.GetType().Name} that cannot be shown ({ex.GetType().Name})";
        }
    }

    private static string DescribeUnsafe(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\" (string)",
        JsonElement e => $"{(e.ValueKind == JsonValueKind.Undefined ? "undefined" : e.GetRawText())} (JsonElement)",
        JsonNode n => $"{n.ToJsonString()} (JsonNode)",
        _ => $"{Convert.ToString(value, CultureInfo.InvariantCulture)} ({value.GetType().Name})",
    };

    [Fact]
    public Task Coercion_of_any_value_gives_a_number_or_a_format_exception() => WithDeadline(() => AnyValue.Sample(value =>
    {
        NumberOrFormatException(ScalarCoercion.ToInt32, value, "ToInt32");
        NumberOrFormatException(ScalarCoercion.ToInt64, value, "ToInt64");
        NumberOrFormatException(ScalarCoercion.ToDouble, value, "ToDouble");
    }, iter: 20_000, print: Describe));

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Coercion_json_node_holding_a_non_finite_double_gives_a_number_or_a_format_exception(double value)
    {
        var node = System.Text.Json.Nodes.JsonValue.Create(value);
        NumberOrFormatException(ScalarCoercion.ToInt32, node, "ToInt32");
        NumberOrFormatException(ScalarCoercion.ToInt64, node, "ToInt64");
        NumberOrFormatException(ScalarCoercion.ToDouble, node, "ToDouble");
    }

    [Fact]
    public void Coercion_integers_wrap_like_an_unchecked_cast() =>
        Gen.Select(Gen.Long, Gen.ULong, Gen.Int).Sample((l, u, i) =>
        {
            Assert.Equal(unchecked((int)l), ScalarCoercion.ToInt32(l));
            Assert.Equal(l, ScalarCoercion.ToInt64(l));
            Assert.Equal(unchecked((int)u), ScalarCoercion.ToInt32(u));
            Assert.Equal(unchecked((long)u), ScalarCoercion.ToInt64(u));
            Assert.Equal(i, ScalarCoercion.ToInt32(i));
            Assert.Equal(i, ScalarCoercion.ToInt64(i));
            Assert.Equal((double)l, ScalarCoercion.ToDouble(l));
            Assert.Equal(unchecked((int)l), ScalarCoercion.ToInt32(new BigInteger(l)));
            Assert.Equal(unchecked((int)l), ScalarCoercion.ToInt32(JsonDocument.Parse(l.ToString(CultureInfo.InvariantCulture)).RootElement));
            Assert.Equal(unchecked((long)u), ScalarCoercion.ToInt64(JsonNode.Parse(u.ToString(CultureInfo.InvariantCulture))));
        }, iter: 5_000);

    [Fact]
    public void Coercion_wraps_big_integers_modulo_2_to_the_32_and_2_to_the_64() =>
        Gen.Long.Array[1, 5].Sample(parts =>
        {
            var big = parts.Aggregate(BigInteger.Zero, (acc, p) => acc * ulong.MaxValue + p);
            Assert.Equal(unchecked((int)(uint)(big & uint.MaxValue)), ScalarCoercion.ToInt32(big));
            Assert.Equal(unchecked((long)(ulong)(big & ulong.MaxValue)), ScalarCoercion.ToInt64(big));
        }, iter: 5_000);

    /// <summary>A Python-valid base-10 int literal for <paramref name="value"/>: whitespace, an optional sign, single underscores between digits.</summary>
    private static readonly Gen<(BigInteger Value, string Text)> PythonIntLiteral =
        Gen.Select(
            Gen.Char["0123456789"].Array[1, 40],
            Gen.Int[0, 2],
            Gen.Bool.Array[40],
            Gen.OneOf("", " ", "\t", "  \n"),
            Gen.OneOf("", " ", "\r\n"))
        .Select(t =>
        {
            var (digits, sign, underscores, before, after) = t;
            var text = new StringBuilder(before);
            text.Append(sign switch { 0 => "", 1 => "+", _ => "-" });
            for (var i = 0; i < digits.Length; i++)
            {
                if (i > 0 && underscores[i]) text.Append('_');
                text.Append(digits[i]);
            }
            text.Append(after);
            var value = BigInteger.Parse(new string(digits), CultureInfo.InvariantCulture);
            return (sign == 2 ? -value : value, text.ToString());
        });

    [Fact]
    public void Coercion_python_valid_int_strings_round_trip() =>
        PythonIntLiteral.Sample(literal =>
        {
            var (value, text) = literal;
            Assert.Equal(unchecked((int)(uint)(value & uint.MaxValue)), ScalarCoercion.ToInt32(text));
            Assert.Equal(unchecked((long)(ulong)(value & ulong.MaxValue)), ScalarCoercion.ToInt64(text));
            if (value >= long.MinValue && value <= long.MaxValue)
            {
                var l = (long)value;
                Assert.Equal(l, ScalarCoercion.ToInt64(l.ToString(CultureInfo.InvariantCulture)));
                Assert.Equal(unchecked((int)l), ScalarCoercion.ToInt32(l.ToString(CultureInfo.InvariantCulture)));
            }
            // float("1_000") == 1000.0 too, correctly rounded.
            Assert.Equal(double.Parse(value.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), ScalarCoercion.ToDouble(text));
        }, iter: 5_000, print: l => $"\"{l.Text}\"");

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("1__0")]
    [InlineData("_1")]
    [InlineData("1_")]
    [InlineData("+-1")]
    [InlineData("- 1")]
    [InlineData("1.0")]
    [InlineData("1e3")]
    [InlineData("0x10")]
    [InlineData("1 2")]
    [InlineData("12a")]
    public void Coercion_strings_python_rejects_as_int_are_format_exceptions(string text)
    {
        Assert.Throws<FormatException>(() => ScalarCoercion.ToInt32(text));
        Assert.Throws<FormatException>(() => ScalarCoercion.ToInt64(text));
    }
}
