using System;
using System.Collections.Generic;

namespace Vyra.Sdk.Wit;

/// <summary>
/// Resolves parsed <c>.wit</c> files (one package, any number of files) into worlds: names to definitions, <c>use</c>
/// across interfaces, aliases to their targets. Every problem is recorded at its place; a world with problems resolves
/// to null. Cycles (an alias of itself, a record holding itself through another) are refused: WIT types are never recursive.
/// </summary>
internal sealed class WitResolver
{
    private readonly List<FileSyntax> _files;
    private readonly List<WitProblem> _problems;
    private readonly Dictionary<string, InterfaceSyntax> _interfaces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WorldSyntax> _worlds = new(StringComparer.Ordinal);
    private readonly Dictionary<TypeDefSyntax, WitType> _resolved = new();
    private readonly HashSet<TypeDefSyntax> _resolving = new();
    private readonly Dictionary<InterfaceSyntax, WitInterface> _built = new();
    private string? _package;
    private string? _version;
    private readonly Dictionary<ScopeSyntax, Dictionary<string, Func<WitType?>>> _scopes = new();
    private readonly int _baseline;

    private WitResolver(List<FileSyntax> files, List<WitProblem> problems, int baseline)
    {
        _files = files;
        _problems = problems;
        _baseline = baseline;
        Index();
    }

    /// <summary>Parses and indexes <paramref name="sources"/> (path, text); problems found so far are in <paramref name="problems"/>.</summary>
    public static WitResolver Load(IEnumerable<KeyValuePair<string, string>> sources, List<WitProblem> problems)
    {
        var baseline = problems.Count;
        var files = new List<FileSyntax>();
        foreach (var source in sources) files.Add(WitParser.Parse(source.Value, source.Key, problems));
        return new WitResolver(files, problems, baseline);
    }

    /// <summary>The package (<c>ns:pkg@ver</c>), or empty when no file declares one.</summary>
    public string Package => _package is null ? "" : _package + (_version is null ? "" : "@" + _version);

    /// <summary>The worlds the files define, by name, in order of appearance.</summary>
    public IReadOnlyList<string> WorldNames
    {
        get
        {
            var names = new List<string>();
            foreach (var file in _files)
            {
                foreach (var world in file.Worlds) names.Add(world.Name);
            }
            return names;
        }
    }

    private void Index()
    {
        FileSyntax? first = null;
        foreach (var file in _files)
        {
            if (file.Package is not null)
            {
                if (first is null)
                {
                    first = file;
                    _package = file.Package;
                    _version = file.PackageVersion;
                }
                else if (file.Package != _package || file.PackageVersion != _version)
                {
                    Report(WitProblemCode.Unsupported, $"all .wit files of a plugin must be one package: this file declares '{file.Package}{(file.PackageVersion is null ? "" : "@" + file.PackageVersion)}', {first.Path} declares '{Package}'", file.Path, file.PackageAt);
                }
            }
            foreach (var i in file.Interfaces)
            {
                if (_interfaces.ContainsKey(i.Name) || _worlds.ContainsKey(i.Name)) Report(WitProblemCode.Duplicate, $"'{i.Name}' is defined twice in the package", i.File, i.At);
                else _interfaces[i.Name] = i;
            }
            foreach (var w in file.Worlds)
            {
                if (_worlds.ContainsKey(w.Name) || _interfaces.ContainsKey(w.Name)) Report(WitProblemCode.Duplicate, $"'{w.Name}' is defined twice in the package", w.File, w.At);
                else _worlds[w.Name] = w;
            }
        }
    }

    /// <summary>Resolves every interface, used by a world or not, so that each problem is reported wherever it is.</summary>
    public void ResolveInterfaces()
    {
        foreach (var file in _files)
        {
            foreach (var i in file.Interfaces)
            {
                if (_interfaces.TryGetValue(i.Name, out var indexed) && indexed == i) Interface(i, Qualified(i.Name));
            }
        }
    }

    /// <summary>True when any file had a problem: no world of the package is resolved then.</summary>
    public bool HasProblems => _problems.Count > _baseline;

    /// <summary>
    /// Resolves the world named <paramref name="name"/> (plain, or qualified with this package: <c>ns:pkg/world@ver</c>);
    /// null when it is missing or has problems (recorded).
    /// </summary>
    public WitWorld? ResolveWorld(string name)
    {
        var plain = name;
        var slash = name.IndexOf('/');
        if (slash >= 0)
        {
            var package = name.Substring(0, slash);
            plain = name.Substring(slash + 1);
            var at = plain.IndexOf('@');
            if (at >= 0)
            {
                package += plain.Substring(at);
                plain = plain.Substring(0, at);
            }
            if (package != Package && package != _package)
            {
                var fileName = _files.Count > 0 ? _files[0].Path : "(no .wit files)";
                _problems.Add(new WitProblem(WitProblemCode.Unresolved, $"the world '{name}' is not in the package of the .wit files ('{(Package.Length == 0 ? "(none declared)" : Package)}')", fileName, 1, 1, 0, 0));
                return null;
            }
        }
        if (!_worlds.TryGetValue(plain, out var syntax))
        {
            var fileName = _files.Count > 0 ? _files[0].Path : "(no .wit files)";
            var known = WorldNames.Count == 0 ? "the files define no world" : "the files define " + string.Join(", ", WorldNames);
            _problems.Add(new WitProblem(WitProblemCode.Unresolved, $"world '{name}' is not defined ({known})", fileName, 1, 1, 0, 0));
            return null;
        }
        var world = new WitWorld(syntax.Name, Package);
        var scope = Scope(syntax);
        foreach (var def in syntax.Types)
        {
            if (Define(def, syntax) is { } t) world.Types.Add(t);
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in syntax.Items)
        {
            if (!names.Add((item.IsImport ? "import " : "export ") + item.Name))
            {
                Report(WitProblemCode.Duplicate, $"'{item.Name}' is {(item.IsImport ? "imported" : "exported")} twice", syntax.File, item.At);
                continue;
            }
            if (item.Function is { } f)
            {
                if (Function(f, scope, syntax) is { } function) (item.IsImport ? world.ImportedFunctions : world.ExportedFunctions).Add(function);
            }
            else if (item.Inline is { } inline)
            {
                if (Interface(inline, inline.Name) is { } i) (item.IsImport ? world.ImportedInterfaces : world.ExportedInterfaces).Add(i);
            }
            else if (item.Reference is { } reference && Lookup(reference, syntax.File) is { } target)
            {
                if (Interface(target, Qualified(target.Name)) is { } i) (item.IsImport ? world.ImportedInterfaces : world.ExportedInterfaces).Add(i);
            }
        }
        return HasProblems ? null : world;
    }

    private string Qualified(string name) => _package is null ? name : _package + "/" + name + (_version is null ? "" : "@" + _version);

    private WitInterface? Interface(InterfaceSyntax syntax, string qualifiedName)
    {
        if (_built.TryGetValue(syntax, out var done)) return done;
        var result = new WitInterface(syntax.Name, qualifiedName);
        _built[syntax] = result;
        var scope = Scope(syntax);
        foreach (var def in syntax.Types)
        {
            if (Define(def, syntax) is { } t) result.Types.Add(t);
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in syntax.Functions)
        {
            if (!names.Add(f.Name))
            {
                Report(WitProblemCode.Duplicate, $"the function '{f.Name}' is defined twice in '{syntax.Name}'", syntax.File, f.At);
                continue;
            }
            if (Function(f, scope, syntax) is { } function) result.Functions.Add(function);
        }
        return result;
    }

    private InterfaceSyntax? Lookup(InterfaceRefSyntax reference, string file)
    {
        if (reference.Package is { } package && package != Package && package != _package)
        {
            Report(WitProblemCode.Unsupported, $"'{package}/{reference.Name}': interfaces of other packages (a deps folder) are not supported yet", file, reference.At);
            return null;
        }
        if (_interfaces.TryGetValue(reference.Name, out var found)) return found;
        Report(WitProblemCode.Unresolved, $"interface '{reference.Name}' is not defined in the package", file, reference.At);
        return null;
    }

    /// <summary>The names visible in an interface or world: its own definitions and what its <c>use</c> statements bring in.</summary>
    private Dictionary<string, Func<WitType?>> Scope(ScopeSyntax scope)
    {
        if (_scopes.TryGetValue(scope, out var known)) return known;
        var names = new Dictionary<string, Func<WitType?>>(StringComparer.Ordinal);
        foreach (var use in scope.Uses)
        {
            var from = Lookup(use.From, scope.File);
            foreach (var name in use.Names)
            {
                if (names.ContainsKey(name.Alias))
                {
                    Report(WitProblemCode.Duplicate, $"'{name.Alias}' is defined twice in '{scope.Name}'", scope.File, name.At);
                    continue;
                }
                if (from is null) continue;
                var def = from.Types.Find(t => t.Name == name.Name);
                if (def is null)
                {
                    Report(WitProblemCode.Unresolved, $"interface '{from.Name}' defines no type '{name.Name}'", scope.File, name.At);
                    continue;
                }
                var owner = from;
                names[name.Alias] = () => Define(def, owner);
            }
        }
        foreach (var def in scope.Types)
        {
            if (names.ContainsKey(def.Name))
            {
                Report(WitProblemCode.Duplicate, $"'{def.Name}' is defined twice in '{scope.Name}'", scope.File, def.At);
                continue;
            }
            var d = def;
            names[def.Name] = () => Define(d, scope);
        }
        _scopes[scope] = names;
        return names;
    }

    /// <summary>The type a definition stands for, made once; a definition met again while it is being made is a cycle.</summary>
    private WitType? Define(TypeDefSyntax def, ScopeSyntax owner)
    {
        if (_resolved.TryGetValue(def, out var done)) return done;
        if (!_resolving.Add(def))
        {
            Report(WitProblemCode.Unsupported, $"'{def.Name}' refers to itself: WIT types cannot be recursive", owner.File, def.At);
            return null;
        }
        try
        {
            var scope = Scope(owner);
            switch (def.Keyword)
            {
                case "type":
                    var target = Resolve(def.Target, scope, owner);
                    if (target is not null) _resolved[def] = target;
                    return target;
                case "record":
                    {
                        if (def.Members.Count == 0) Report(WitProblemCode.Syntax, $"the record '{def.Name}' must have at least one field", owner.File, def.At);
                        var record = WitType.Named(WitKind.Record, def.Name, owner.Name);
                        foreach (var member in Distinct(def, owner))
                        {
                            if (Resolve(member.Type, scope, owner) is { } t) record.Fields.Add(new WitField(member.Name, t));
                        }
                        _resolved[def] = record;
                        return record;
                    }
                case "variant":
                    {
                        if (def.Members.Count == 0) Report(WitProblemCode.Syntax, $"the variant '{def.Name}' must have at least one case", owner.File, def.At);
                        var variant = WitType.Named(WitKind.Variant, def.Name, owner.Name);
                        foreach (var member in Distinct(def, owner))
                        {
                            variant.Cases.Add(new WitCase(member.Name, member.Type is null ? null : Resolve(member.Type, scope, owner)));
                        }
                        _resolved[def] = variant;
                        return variant;
                    }
                default:
                    {
                        var isFlags = def.Keyword == "flags";
                        if (def.Members.Count == 0 && !isFlags) Report(WitProblemCode.Syntax, $"the enum '{def.Name}' must have at least one case", owner.File, def.At);
                        if (isFlags && def.Members.Count > 64) Report(WitProblemCode.TooLarge, $"the flags '{def.Name}' have {def.Members.Count} names; at most 64 are supported", owner.File, def.At);
                        var named = WitType.Named(isFlags ? WitKind.Flags : WitKind.Enum, def.Name, owner.Name);
                        foreach (var member in Distinct(def, owner)) named.Names.Add(member.Name);
                        _resolved[def] = named;
                        return named;
                    }
            }
        }
        finally
        {
            _resolving.Remove(def);
        }
    }

    private IEnumerable<FieldSyntax> Distinct(TypeDefSyntax def, ScopeSyntax owner)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in def.Members)
        {
            if (seen.Add(member.Name)) yield return member;
            else Report(WitProblemCode.Duplicate, $"'{member.Name}' appears twice in '{def.Name}'", owner.File, member.At);
        }
    }

    private WitFunction? Function(FunctionSyntax f, Dictionary<string, Func<WitType?>> scope, ScopeSyntax owner)
    {
        var before = _problems.Count;
        var parameters = new List<WitParam>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in f.Params)
        {
            if (!seen.Add(p.Name)) Report(WitProblemCode.Duplicate, $"the parameter '{p.Name}' of '{f.Name}' appears twice", owner.File, p.At);
            if (Resolve(p.Type, scope, owner) is { } t) parameters.Add(new WitParam(p.Name, t));
        }
        var result = f.Result is null ? null : Resolve(f.Result, scope, owner);
        return _problems.Count > before ? null : new WitFunction(f.Name, parameters, result);
    }

    private WitType? Resolve(TypeSyntax? syntax, Dictionary<string, Func<WitType?>> scope, ScopeSyntax owner)
    {
        if (syntax is null) return null;
        if (syntax.Form != "name" && WitParser.TryPrimitive(syntax.Form, out var kind)) return WitType.Primitive(kind);
        switch (syntax.Form)
        {
            case "list":
                return Resolve(syntax.Arguments[0], scope, owner) is { } element ? WitType.ListOf(element) : null;
            case "option":
                return Resolve(syntax.Arguments[0], scope, owner) is { } payload ? WitType.OptionOf(payload) : null;
            case "result":
                {
                    var ok = syntax.Arguments[0] is null ? null : Resolve(syntax.Arguments[0], scope, owner);
                    var err = syntax.Arguments[1] is null ? null : Resolve(syntax.Arguments[1], scope, owner);
                    if ((syntax.Arguments[0] is not null && ok is null) || (syntax.Arguments[1] is not null && err is null)) return null;
                    return WitType.ResultOf(ok, err);
                }
            case "tuple":
                {
                    var items = new List<WitType>();
                    foreach (var a in syntax.Arguments)
                    {
                        if (Resolve(a, scope, owner) is not { } item) return null;
                        items.Add(item);
                    }
                    return WitType.TupleOf(items);
                }
            default:
                if (scope.TryGetValue(syntax.At.Text, out var lookup)) return lookup();
                Report(WitProblemCode.Unresolved, $"type '{syntax.At.Text}' is not defined in '{owner.Name}' (define it, or bring it in with 'use')", owner.File, syntax.At);
                return null;
        }
    }

    private void Report(WitProblemCode code, string message, string file, WitToken at)
    {
        // One place, one message: the same definition reached from several worlds or uses is reported once.
        foreach (var p in _problems)
        {
            if (p.File == file && p.Start == at.Start && p.Message == message) return;
        }
        _problems.Add(new WitProblem(code, message, file, at.Line, at.Column, at.Start, Math.Max(1, at.Length)));
    }
}
