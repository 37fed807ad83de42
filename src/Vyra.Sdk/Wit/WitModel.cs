using System.Collections.Generic;

namespace Vyra.Sdk.Wit;

/// <summary>The kinds of WIT type the component backend and the generator handle (resources are reported, not modelled).</summary>
internal enum WitKind
{
    Bool, S8, U8, S16, U16, S32, U32, S64, U64, F32, F64, Char, String,
    List, Option, Result, Tuple, Record, Variant, Enum, Flags,
}

/// <summary>
/// A resolved WIT type. Named definitions (records, variants, enums, flags) are one shared object with
/// <see cref="Name"/> set and <see cref="Owner"/> naming the interface (or world) that defines them; type aliases
/// resolve to their target, so nothing downstream sees an alias.
/// </summary>
internal sealed class WitType
{
    private WitType(WitKind kind) => Kind = kind;

    public WitKind Kind { get; }

    /// <summary>The element of a list or the payload of an option.</summary>
    public WitType? Element { get; private set; }

    /// <summary>A result's ok and err types (either may be null: <c>result</c>, <c>result&lt;_, e&gt;</c>).</summary>
    public WitType? Ok { get; private set; }

    public WitType? Err { get; private set; }

    /// <summary>A tuple's items.</summary>
    public IReadOnlyList<WitType> Items { get; private set; } = Empty;

    /// <summary>The WIT name of a named definition, else null.</summary>
    public string? Name { get; internal set; }

    /// <summary>The interface or world that defines a named type.</summary>
    public string? Owner { get; internal set; }

    /// <summary>A record's fields, in order.</summary>
    public List<WitField> Fields { get; } = new();

    /// <summary>A variant's cases (payload may be null).</summary>
    public List<WitCase> Cases { get; } = new();

    /// <summary>An enum's cases or a flags' names, in order.</summary>
    public List<string> Names { get; } = new();

    private static readonly WitType[] Empty = new WitType[0];

    private static readonly Dictionary<WitKind, WitType> Primitives = new();

    static WitType()
    {
        for (var kind = WitKind.Bool; kind <= WitKind.String; kind++) Primitives[kind] = new WitType(kind);
    }

    public static WitType Primitive(WitKind kind) => Primitives[kind];

    public static WitType ListOf(WitType element) => new(WitKind.List) { Element = element };

    public static WitType OptionOf(WitType element) => new(WitKind.Option) { Element = element };

    public static WitType ResultOf(WitType? ok, WitType? err) => new(WitKind.Result) { Ok = ok, Err = err };

    public static WitType TupleOf(IReadOnlyList<WitType> items) => new(WitKind.Tuple) { Items = items };

    public static WitType Named(WitKind kind, string name, string owner) => new(kind) { Name = name, Owner = owner };

    public bool IsPrimitive => Kind <= WitKind.String;

    public bool IsInteger => Kind is >= WitKind.S8 and <= WitKind.U64;

    /// <summary>The type as WIT writes it (a named type by its name).</summary>
    public override string ToString() => Name ?? Kind switch
    {
        WitKind.List => $"list<{Element}>",
        WitKind.Option => $"option<{Element}>",
        WitKind.Result when Ok is null && Err is null => "result",
        WitKind.Result when Err is null => $"result<{Ok}>",
        WitKind.Result => $"result<{(Ok is null ? "_" : Ok.ToString())}, {Err}>",
        WitKind.Tuple => "tuple<" + string.Join(", ", Items) + ">",
        _ => Kind.ToString().ToLowerInvariant(),
    };
}

internal sealed record WitField(string Name, WitType Type);

internal sealed record WitCase(string Name, WitType? Type);

internal sealed record WitParam(string Name, WitType Type);

/// <summary>A function: its WIT name, parameters and result (null when it returns nothing).</summary>
internal sealed record WitFunction(string Name, IReadOnlyList<WitParam> Params, WitType? Result);

/// <summary>
/// An interface: its short name, the name a component exports or imports it by (<c>ns:pkg/name@ver</c>, or the plain
/// name of an inline <c>import x: interface { }</c>), its functions and the named types it defines, in order.
/// </summary>
internal sealed class WitInterface
{
    public WitInterface(string name, string qualifiedName)
    {
        Name = name;
        QualifiedName = qualifiedName;
    }

    public string Name { get; }

    public string QualifiedName { get; }

    public List<WitFunction> Functions { get; } = new();

    public List<WitType> Types { get; } = new();
}

/// <summary>
/// A world resolved: its imports and exports as root functions and interfaces, and every named type its items use
/// (each once, in definition order).
/// </summary>
internal sealed class WitWorld
{
    public WitWorld(string name, string package)
    {
        Name = name;
        Package = package;
    }

    public string Name { get; }

    /// <summary><c>ns:pkg@ver</c>, or empty when the files declare no package.</summary>
    public string Package { get; }

    public List<WitFunction> ImportedFunctions { get; } = new();

    public List<WitInterface> ImportedInterfaces { get; } = new();

    public List<WitFunction> ExportedFunctions { get; } = new();

    public List<WitInterface> ExportedInterfaces { get; } = new();

    /// <summary>Named types defined in the world itself.</summary>
    public List<WitType> Types { get; } = new();

    /// <summary>Every named type reachable from the world's items, each once.</summary>
    public List<WitType> AllTypes()
    {
        var seen = new HashSet<WitType>();
        var all = new List<WitType>();
        void Add(IEnumerable<WitType> types)
        {
            foreach (var t in types) Visit(t);
        }
        void Visit(WitType? t)
        {
            if (t is null) return;
            if (t.Name is not null && !seen.Add(t)) return;
            if (t.Element is not null) Visit(t.Element);
            Visit(t.Ok);
            Visit(t.Err);
            foreach (var i in t.Items) Visit(i);
            foreach (var f in t.Fields) Visit(f.Type);
            foreach (var c in t.Cases) Visit(c.Type);
            if (t.Name is not null) all.Add(t);
        }
        void Functions(IEnumerable<WitFunction> functions)
        {
            foreach (var f in functions)
            {
                foreach (var p in f.Params) Visit(p.Type);
                Visit(f.Result);
            }
        }
        Add(Types);
        foreach (var i in ImportedInterfaces) { Add(i.Types); Functions(i.Functions); }
        foreach (var i in ExportedInterfaces) { Add(i.Types); Functions(i.Functions); }
        Functions(ImportedFunctions);
        Functions(ExportedFunctions);
        return all;
    }
}
