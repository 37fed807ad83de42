using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Vyra.Sdk.Tests.Components;
using Vyra.Sdk.Wit;
using Xunit;

namespace Vyra.Sdk.Generators.Tests;

/// <summary>
/// Every WIT type kind through the generated C#: the proxy's typed export call, the component, and the generated host
/// binding's typed import, in real Wasmtime. The guest echoes each value through its host import; the host records
/// what it received; both must equal what was sent.
/// </summary>
public class WitTypedRoundTripTests
{
    private const string Wit = """
        package rt:typed;

        interface types {
          type id = u64;
          record point { x: s32, label: string, tags: list<u8> }
          variant shape { circle(f64), rect(tuple<f32, f32>), named(string), empty }
          enum color { red, green, dark-blue }
          flags perms { read, write, exec }
        }

        world rt {
          use types.{id, point, shape, color, perms};
          import host-bool: func(v: bool) -> bool;
          export echo-bool: func(v: bool) -> bool;
          import host-s8: func(v: s8) -> s8;
          export echo-s8: func(v: s8) -> s8;
          import host-u16: func(v: u16) -> u16;
          export echo-u16: func(v: u16) -> u16;
          import host-s32: func(v: s32) -> s32;
          export echo-s32: func(v: s32) -> s32;
          import host-u64: func(v: u64) -> u64;
          export echo-u64: func(v: u64) -> u64;
          import host-f32: func(v: f32) -> f32;
          export echo-f32: func(v: f32) -> f32;
          import host-f64: func(v: f64) -> f64;
          export echo-f64: func(v: f64) -> f64;
          import host-char: func(v: char) -> char;
          export echo-char: func(v: char) -> char;
          import host-string: func(v: string) -> string;
          export echo-string: func(v: string) -> string;
          import host-list: func(v: list<u32>) -> list<u32>;
          export echo-list: func(v: list<u32>) -> list<u32>;
          import host-option: func(v: option<u32>) -> option<u32>;
          export echo-option: func(v: option<u32>) -> option<u32>;
          import host-result: func(v: result<string, u8>) -> result<string, u8>;
          export echo-result: func(v: result<string, u8>) -> result<string, u8>;
          import host-tuple: func(v: tuple<string, u8, bool>) -> tuple<string, u8, bool>;
          export echo-tuple: func(v: tuple<string, u8, bool>) -> tuple<string, u8, bool>;
          import host-record: func(v: point) -> point;
          export echo-record: func(v: point) -> point;
          import host-variant: func(v: shape) -> shape;
          export echo-variant: func(v: shape) -> shape;
          import host-enum: func(v: color) -> color;
          export echo-enum: func(v: color) -> color;
          import host-flags: func(v: perms) -> perms;
          export echo-flags: func(v: perms) -> perms;
          import host-alias: func(v: id) -> id;
          export echo-alias: func(v: id) -> id;
          import host-nested: func(v: list<option<point>>) -> list<option<point>>;
          export echo-nested: func(v: list<option<point>>) -> list<option<point>>;
        }
        """;

    private const string Calls = """
                { bool v = true; await Check("bool", v, async () => await rt.EchoBoolAsync(v)); }
                { sbyte v = -128; await Check("s8", v, async () => await rt.EchoS8Async(v)); }
                { ushort v = 65535; await Check("u16", v, async () => await rt.EchoU16Async(v)); }
                { int v = int.MinValue; await Check("s32", v, async () => await rt.EchoS32Async(v)); }
                { ulong v = ulong.MaxValue; await Check("u64", v, async () => await rt.EchoU64Async(v)); }
                { float v = -2.25f; await Check("f32", v, async () => await rt.EchoF32Async(v)); }
                { double v = -1e300; await Check("f64", v, async () => await rt.EchoF64Async(v)); }
                { var v = new System.Text.Rune(0x1F600); await Check("char", v, async () => await rt.EchoCharAsync(v)); }
                { var v = "héllo 🎉"; await Check("string", v, async () => await rt.EchoStringAsync(v)); }
                { IReadOnlyList<uint> v = new uint[] { 1, 2, uint.MaxValue }; await Check("list", v, async () => await rt.EchoListAsync(v)); }
                { uint? v = 7; await Check("option", v, async () => await rt.EchoOptionAsync(v)); }
                { uint? v = null; await Check("none", v, async () => await rt.EchoOptionAsync(v)); }
                { var v = ComponentResult<string, byte>.Success("fine"); await Check("ok", v, async () => await rt.EchoResultAsync(v)); }
                { var v = ComponentResult<string, byte>.Failure(42); await Check("err", v, async () => await rt.EchoResultAsync(v)); }
                { (string, byte, bool) v = ("t", 9, true); await Check("tuple", v, async () => await rt.EchoTupleAsync(v)); }
                { var v = new Types.Point(-5, "p", new byte[] { 1, 2 }); await Check("record", v, async () => await rt.EchoRecordAsync(v)); }
                { Types.Shape v = new Types.Shape.Circle(1.5); await Check("circle", v, async () => await rt.EchoVariantAsync(v)); }
                { Types.Shape v = new Types.Shape.Rect((2.5f, -1f)); await Check("rect", v, async () => await rt.EchoVariantAsync(v)); }
                { Types.Shape v = new Types.Shape.Named("n"); await Check("named", v, async () => await rt.EchoVariantAsync(v)); }
                { Types.Shape v = new Types.Shape.Empty(); await Check("empty", v, async () => await rt.EchoVariantAsync(v)); }
                { var v = Types.Color.DarkBlue; await Check("enum", v, async () => await rt.EchoEnumAsync(v)); }
                { var v = Types.Perms.Read | Types.Perms.Exec; await Check("flags", v, async () => await rt.EchoFlagsAsync(v)); }
                { var v = Types.Perms.None; await Check("no-flags", v, async () => await rt.EchoFlagsAsync(v)); }
                { ulong v = 12345678901; await Check("alias", v, async () => await rt.EchoAliasAsync(v)); }
                { IReadOnlyList<Types.Point?> v = new Types.Point?[] { null, new Types.Point(1, "q", new byte[0]) }; await Check("nested", v, async () => await rt.EchoNestedAsync(v)); }
        """;

    [Fact]
    public async Task Every_type_kind_round_trips_through_the_generated_proxy_and_host_binding()
    {
        var problems = new List<WitProblem>();
        var world = WitResolver.Load([new("rt.wit", Wit)], problems).ResolveWorld("rt");
        Assert.True(world is not null, string.Join("\n", problems));
        var folder = Path.Combine(Path.GetTempPath(), "vyra-wit-typed-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            File.WriteAllText(Path.Combine(folder, "rt.wit"), Wit);
            File.WriteAllText(Path.Combine(folder, "metadata.json"), """{"id":"rt","version":"1.0.0","component":{"world":"rt","wit":"rt.wit"}}""");
            File.WriteAllText(Path.Combine(folder, "logic.wat"), ComponentText.EchoGuest(world!));

            var wit = new InMemoryAdditionalText("/wit/rt/rt.wit", Wit);
            // The host class implements the generated interface: its signatures are read from the generated source.
            var (first, _) = GeneratorHarness.Run([wit]);
            var generated = first.GeneratedSources.Single().SourceText.ToString();
            var host = new StringBuilder("internal sealed class Host : IRtImports\n{\n    public object? Last;\n");
            foreach (Match m in Regex.Matches(generated, @"^    (\S.*) (Host\w+)\((.*) v\);$", RegexOptions.Multiline))
            {
                host.Append($"    public {m.Groups[1].Value} {m.Groups[2].Value}({m.Groups[3].Value} v) {{ Last = v; return v; }}\n");
            }
            host.Append("}\n");
            var driver = Driver.Replace("// CALLS", Calls) + host;

            var (result, output) = GeneratorHarness.Run([wit], [driver]);
            Assert.Null(result.Exception);
            Assert.Empty(GeneratorHarness.Problems(output).Select(d => d.ToString()));
            using var image = new MemoryStream();
            var emitted = output.Emit(image);
            Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
            var run = Assembly.Load(image.ToArray()).GetType("Driver")!.GetMethod("RunAsync")!;
            var failures = await (Task<string>)run.Invoke(null, [Path.Combine(folder, "logic.wat")])!;
            Assert.Equal("25 checked", failures);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private const string Driver = """
        using System;
        using System.Collections;
        using System.Collections.Generic;
        using System.Linq;
        using System.Reflection;
        using System.Threading.Tasks;
        using Sample.App.Plugins;
        using Vyra.Sdk;

        public static class Driver
        {
            public static async Task<string> RunAsync(string path)
            {
                var host = new Host();
                var failures = new List<string>();
                var count = 0;
                await using var rt = await RtComponent.StartAsync("rt", path, host);
                async Task Check(string name, object? sent, Func<Task<object?>> call)
                {
                    host.Last = "(not called)";
                    var back = await call();
                    count++;
                    if (!Same(sent, back)) failures.Add($"{name}: the export returned {back}");
                    if (!Same(sent, host.Last)) failures.Add($"{name}: the host import got {host.Last}");
                }
                // CALLS
                return failures.Count == 0 ? $"{count} checked" : string.Join("\n", failures);
            }

            private static bool Same(object? a, object? b)
            {
                if (a is null || b is null) return a is null && b is null;
                var type = a.GetType();
                if (a is string || type.IsPrimitive || type.IsEnum || a is System.Text.Rune) return a.Equals(b);
                if (a is IEnumerable ea && b is IEnumerable eb)
                {
                    var la = ea.Cast<object?>().ToList();
                    var lb = eb.Cast<object?>().ToList();
                    return la.Count == lb.Count && la.Zip(lb).All(p => Same(p.First, p.Second));
                }
                if (type != b.GetType()) return false;
                foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                {
                    if (p.GetIndexParameters().Length == 0 && !Same(p.GetValue(a), p.GetValue(b))) return false;
                }
                foreach (var f in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
                {
                    if (!Same(f.GetValue(a), f.GetValue(b))) return false;
                }
                return true;
            }
        }

        """;
}
