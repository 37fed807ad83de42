using System.Text;
using Vyra.Sdk.Wit;

namespace Vyra.Sdk.Tests.Components;

/// <summary>
/// Component text for a world whose exports are <c>echo-k: func(v: T) -> T</c> and imports <c>host-k</c> of the same
/// type: each export passes its argument to its import and returns what the host gave back. Types are flattened by the
/// Canonical ABI's rules; named types are imported at the root. Shared by the kernel's and the generator's tests.
/// </summary>
internal static class ComponentText
{
    public static string EchoGuest(WitWorld world)
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
