using System;
using System.Collections.Generic;

namespace Vyra.Sdk.Wit;

/// <summary>
/// Parses one <c>.wit</c> file into <see cref="FileSyntax"/>. The first syntax error ends the file (one problem, at its
/// place); nesting is bounded (<see cref="MaxNesting"/>), so a hostile file cannot exhaust the stack.
/// </summary>
internal sealed class WitParser
{
    /// <summary>How deep types may nest (<c>list&lt;option&lt;…&gt;&gt;</c>); real WIT uses a handful.</summary>
    public const int MaxNesting = 32;

    private static readonly Dictionary<string, WitKind> PrimitiveNames = new(StringComparer.Ordinal)
    {
        ["bool"] = WitKind.Bool, ["s8"] = WitKind.S8, ["u8"] = WitKind.U8, ["s16"] = WitKind.S16, ["u16"] = WitKind.U16,
        ["s32"] = WitKind.S32, ["u32"] = WitKind.U32, ["s64"] = WitKind.S64, ["u64"] = WitKind.U64,
        ["f32"] = WitKind.F32, ["f64"] = WitKind.F64, ["float32"] = WitKind.F32, ["float64"] = WitKind.F64,
        ["char"] = WitKind.Char, ["string"] = WitKind.String,
    };

    private readonly List<WitToken> _tokens;
    private readonly string _file;
    private int _at;

    private WitParser(List<WitToken> tokens, string file)
    {
        _tokens = tokens;
        _file = file;
    }

    /// <summary>The primitive kind a name stands for, if it is one.</summary>
    public static bool TryPrimitive(string name, out WitKind kind) => PrimitiveNames.TryGetValue(name, out kind);

    public static FileSyntax Parse(string text, string file, List<WitProblem> problems)
    {
        var result = new FileSyntax(file);
        var tokens = WitLexer.Lex(text, out var lexError);
        if (lexError is { } e)
        {
            problems.Add(new WitProblem(WitProblemCode.Syntax, e.Message, file, e.Line, e.Column, e.Start, 1));
            return result;
        }
        try
        {
            new WitParser(tokens, file).ParseFile(result);
        }
        catch (WitParseError error)
        {
            problems.Add(new WitProblem(error.Code, error.Message, file, error.At.Line, error.At.Column, error.At.Start, Math.Max(1, error.At.Length)));
        }
        return result;
    }

    private sealed class WitParseError : Exception
    {
        public WitParseError(WitProblemCode code, string message, WitToken at)
            : base(message)
        {
            Code = code;
            At = at;
        }

        public WitProblemCode Code { get; }

        public WitToken At { get; }
    }

    private WitToken Peek => _tokens[_at];

    private WitToken PeekAt(int ahead) => _tokens[Math.Min(_at + ahead, _tokens.Count - 1)];

    private WitToken Next() => _tokens[_at < _tokens.Count - 1 ? _at++ : _at];

    private bool Accept(string symbol)
    {
        if (!Peek.Is(symbol)) return false;
        _at++;
        return true;
    }

    private WitToken Expect(string symbol, string context)
    {
        if (!Peek.Is(symbol)) throw Error($"expected '{symbol}' {context}, found {Peek.Describe()}", Peek);
        return Next();
    }

    private WitToken ExpectId(string what)
    {
        if (Peek.Kind != WitTokenKind.Id) throw Error($"expected {what}, found {Peek.Describe()}", Peek);
        return Next();
    }

    private static WitParseError Error(string message, WitToken at) => new(WitProblemCode.Syntax, message, at);

    private static WitParseError Unsupported(string message, WitToken at) => new(WitProblemCode.Unsupported, message, at);

    private void ParseFile(FileSyntax file)
    {
        SkipGates();
        if (Peek.Is("package"))
        {
            var at = Next();
            var (package, version) = PackageName();
            file.Package = package;
            file.PackageVersion = version;
            file.PackageAt = at;
            if (Peek.Is("{")) throw Unsupported("nested package blocks ('package x:y { … }') are not supported yet", Peek);
            Expect(";", "after the package name");
        }
        while (Peek.Kind != WitTokenKind.End)
        {
            SkipGates();
            var keyword = Peek;
            if (keyword.Is("interface"))
            {
                Next();
                var name = ExpectId("an interface name");
                var scope = new InterfaceSyntax(name.Text, name, _file);
                ParseInterfaceBody(scope);
                file.Interfaces.Add(scope);
            }
            else if (keyword.Is("world"))
            {
                Next();
                var name = ExpectId("a world name");
                file.Worlds.Add(ParseWorldBody(new WorldSyntax(name.Text, name, _file)));
            }
            else if (keyword.Is("use"))
            {
                throw Unsupported("a top-level 'use' (of another package) is not supported yet; use interfaces of this package inside an interface or world", keyword);
            }
            else if (keyword.Is("package"))
            {
                throw Error("the package must be declared once, at the top of the file", keyword);
            }
            else
            {
                throw Error($"expected 'interface', 'world' or 'package', found {keyword.Describe()}", keyword);
            }
        }
    }

    /// <summary><c>ns:pkg</c> (more <c>:name</c> segments are allowed by WIT's nested namespaces) and an optional <c>@version</c>.</summary>
    private (string Package, string? Version) PackageName()
    {
        var first = ExpectId("a package namespace");
        Expect(":", "between the package namespace and name (ns:name)");
        var name = ExpectId("a package name");
        var package = first.Text + ":" + name.Text;
        string? version = null;
        if (Accept("@"))
        {
            if (Peek.Kind != WitTokenKind.Version) throw Error("expected a version after '@'", Peek);
            version = Next().Text;
        }
        return (package, version);
    }

    /// <summary>Feature gates (<c>@since(version = 1.0.0)</c>, <c>@unstable(feature = x)</c>, <c>@deprecated(…)</c>) do not change types: skipped.</summary>
    private void SkipGates()
    {
        while (Peek.Is("@") && PeekAt(1).Kind == WitTokenKind.Version)
        {
            // The lexer read the gate's name as a version (it follows '@'); the parenthesised arguments follow.
            Next();
            Next();
            if (!Accept("(")) continue;
            var depth = 1;
            while (depth > 0)
            {
                var t = Next();
                if (t.Kind == WitTokenKind.End) throw Error("a feature gate's '(' is not closed", t);
                if (t.Is("(")) depth++;
                else if (t.Is(")")) depth--;
                else if (t.Is("@")) Next(); // the version inside: '@' is never in a gate's arguments, but stay safe
            }
        }
    }

    private void ParseInterfaceBody(ScopeSyntax scope)
    {
        Expect("{", $"to open '{scope.Name}'");
        while (!Accept("}"))
        {
            SkipGates();
            if (Peek.Kind == WitTokenKind.End) throw Error($"'{scope.Name}' is not closed with '}}'", Peek);
            if (!ParseScopeMember(scope)) throw Error($"expected a type definition, 'use' or a function, found {Peek.Describe()}", Peek);
        }
    }

    /// <summary>A type definition, a <c>use</c> or a <c>name: func(…)</c>; false when the next token starts none.</summary>
    private bool ParseScopeMember(ScopeSyntax scope)
    {
        var t = Peek;
        if (t.Is("use"))
        {
            Next();
            scope.Uses.Add(ParseUse());
            return true;
        }
        if (t.Is("type") || t.Is("record") || t.Is("variant") || t.Is("enum") || t.Is("flags") || t.Is("resource"))
        {
            scope.Types.Add(ParseTypeDef());
            return true;
        }
        if (t.Kind == WitTokenKind.Id && PeekAt(1).Is(":"))
        {
            Next();
            Next();
            scope.Functions.Add(ParseFunction(t));
            Expect(";", $"after the function '{t.Text}'");
            return true;
        }
        return false;
    }

    private UseSyntax ParseUse()
    {
        var from = ParseInterfaceRef();
        Expect(".", "after the interface in 'use' (use iface.{a, b})");
        Expect("{", "to list the names a 'use' imports");
        var names = new List<UseNameSyntax>();
        do
        {
            if (Peek.Is("}")) break;
            var name = ExpectId("a type name");
            var alias = name.Text;
            if (Accept("as")) alias = ExpectId("a name after 'as'").Text;
            names.Add(new UseNameSyntax(name.Text, alias, name));
        }
        while (Accept(","));
        Expect("}", "to close the names of 'use'");
        Expect(";", "after 'use'");
        return new UseSyntax(from, names);
    }

    /// <summary>A local interface name, or <c>ns:pkg/name@ver</c>.</summary>
    private InterfaceRefSyntax ParseInterfaceRef()
    {
        var first = ExpectId("an interface name");
        if (!Peek.Is(":")) return new InterfaceRefSyntax(null, first.Text, first);
        Next();
        var package = first.Text + ":" + ExpectId("a package name").Text;
        Expect("/", "between the package and the interface (ns:pkg/iface)");
        var name = ExpectId("an interface name");
        if (Accept("@"))
        {
            if (Peek.Kind != WitTokenKind.Version) throw Error("expected a version after '@'", Peek);
            package += "@" + Next().Text;
        }
        return new InterfaceRefSyntax(package, name.Text, first);
    }

    private TypeDefSyntax ParseTypeDef()
    {
        var keyword = Next();
        var name = ExpectId($"a name for the {keyword.Text}");
        var def = new TypeDefSyntax(keyword.Text, name.Text, name);
        switch (keyword.Text)
        {
            case "type":
                Expect("=", $"after 'type {name.Text}'");
                def.Target = ParseType(0);
                Expect(";", $"after the type '{name.Text}'");
                break;
            case "resource":
                throw Unsupported($"resource '{name.Text}': resources are not yet supported (the engine's .NET binding has no resource values)", name);
            case "record":
                ParseMembers(def, withTypes: true, optionalTypes: false);
                break;
            case "variant":
                ParseMembers(def, withTypes: true, optionalTypes: true);
                break;
            default:
                ParseMembers(def, withTypes: false, optionalTypes: false);
                break;
        }
        return def;
    }

    private void ParseMembers(TypeDefSyntax def, bool withTypes, bool optionalTypes)
    {
        Expect("{", $"to open the {def.Keyword} '{def.Name}'");
        while (!Peek.Is("}"))
        {
            SkipGates();
            var member = ExpectId($"a {(def.Keyword == "record" ? "field" : def.Keyword == "flags" ? "flag" : "case")} of '{def.Name}'");
            TypeSyntax? type = null;
            if (withTypes && !optionalTypes)
            {
                Expect(":", $"after the field '{member.Text}'");
                type = ParseType(0);
            }
            else if (optionalTypes && Accept("("))
            {
                type = ParseType(0);
                Expect(")", $"after the payload of '{member.Text}'");
            }
            def.Members.Add(new FieldSyntax(member.Text, member, type));
            if (!Accept(",")) break;
        }
        Expect("}", $"to close the {def.Keyword} '{def.Name}'");
    }

    private FunctionSyntax ParseFunction(WitToken name)
    {
        if (Peek.Is("async")) throw Unsupported($"'{name.Text}': async functions are not supported yet", Peek);
        Expect("func", $"after '{name.Text}:'");
        Expect("(", "to open the parameters");
        var parameters = new List<FieldSyntax>();
        while (!Peek.Is(")"))
        {
            var p = ExpectId("a parameter name");
            Expect(":", $"after the parameter '{p.Text}'");
            parameters.Add(new FieldSyntax(p.Text, p, ParseType(0)));
            if (!Accept(",")) break;
        }
        Expect(")", "to close the parameters");
        TypeSyntax? result = null;
        if (Accept("->"))
        {
            if (Peek.Is("(")) throw Unsupported($"'{name.Text}': named results ('-> (a: t, …)') are not supported; return one type (a tuple or a record)", Peek);
            result = ParseType(0);
        }
        return new FunctionSyntax(name.Text, name, parameters, result);
    }

    private TypeSyntax ParseType(int depth)
    {
        var t = Peek;
        if (depth >= MaxNesting) throw new WitParseError(WitProblemCode.TooLarge, $"types nest deeper than {MaxNesting} levels", t);
        if (t.Kind != WitTokenKind.Id) throw Error($"expected a type, found {t.Describe()}", t);
        Next();
        if (t.Escaped) return new TypeSyntax("name", t);
        switch (t.Text)
        {
            case "list":
            case "option":
                {
                    var type = new TypeSyntax(t.Text, t);
                    Expect("<", $"after '{t.Text}'");
                    type.Arguments.Add(ParseType(depth + 1));
                    if (t.Text == "list" && Accept(",")) throw Unsupported("fixed-length lists ('list<t, n>') are not supported yet", t);
                    Expect(">", $"to close '{t.Text}<…>'");
                    return type;
                }
            case "result":
                {
                    var type = new TypeSyntax("result", t);
                    if (!Accept("<"))
                    {
                        type.Arguments.Add(null);
                        type.Arguments.Add(null);
                        return type;
                    }
                    type.Arguments.Add(Accept("_") ? null : ParseType(depth + 1));
                    type.Arguments.Add(Accept(",") ? ParseType(depth + 1) : null);
                    Expect(">", "to close 'result<…>'");
                    return type;
                }
            case "tuple":
                {
                    var type = new TypeSyntax("tuple", t);
                    Expect("<", "after 'tuple'");
                    while (!Peek.Is(">"))
                    {
                        type.Arguments.Add(ParseType(depth + 1));
                        if (!Accept(",")) break;
                    }
                    Expect(">", "to close 'tuple<…>'");
                    return type;
                }
            case "own":
            case "borrow":
                throw Unsupported($"'{t.Text}<…>' handles: resources are not yet supported", t);
            case "future":
            case "stream":
                throw Unsupported($"'{t.Text}' types are not supported yet", t);
            default:
                return new TypeSyntax(PrimitiveNames.ContainsKey(t.Text) ? t.Text : "name", t);
        }
    }

    private WorldSyntax ParseWorldBody(WorldSyntax world)
    {
        Expect("{", $"to open the world '{world.Name}'");
        while (!Accept("}"))
        {
            SkipGates();
            var t = Peek;
            if (t.Kind == WitTokenKind.End) throw Error($"the world '{world.Name}' is not closed with '}}'", t);
            if (t.Is("import") || t.Is("export"))
            {
                Next();
                world.Items.Add(ParseWorldItem(t.Text == "import"));
            }
            else if (t.Is("include"))
            {
                throw Unsupported("'include' of another world is not supported yet", t);
            }
            else if (t.Kind == WitTokenKind.Id && PeekAt(1).Is(":"))
            {
                throw Error($"a function in a world must be imported or exported ('export {t.Text}: func(…)')", t);
            }
            else if (!ParseScopeMember(world))
            {
                throw Error($"expected 'import', 'export', 'use' or a type definition, found {t.Describe()}", t);
            }
        }
        return world;
    }

    private WorldItemSyntax ParseWorldItem(bool isImport)
    {
        var name = ExpectId(isImport ? "what to import" : "what to export");
        if (Peek.Is(":") && PeekAt(1).Kind == WitTokenKind.Id && !PeekAt(2).Is("/"))
        {
            Next();
            if (Peek.Is("interface"))
            {
                Next();
                var inline = new InterfaceSyntax(name.Text, name, _file);
                ParseInterfaceBody(inline);
                return new WorldItemSyntax(isImport, name.Text, name, null, inline, null);
            }
            var function = ParseFunction(name);
            Expect(";", $"after '{name.Text}'");
            return new WorldItemSyntax(isImport, name.Text, name, function, null, null);
        }
        _at--; // re-read the name as the start of an interface reference
        var reference = ParseInterfaceRef();
        Expect(";", $"after '{(isImport ? "import" : "export")} {reference.Name}'");
        return new WorldItemSyntax(isImport, reference.Name, reference.At, null, null, reference);
    }
}
