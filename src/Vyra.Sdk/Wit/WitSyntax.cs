using System.Collections.Generic;

namespace Vyra.Sdk.Wit;

// The parsed, unresolved form of .wit files: names still point at names. WitResolver turns it into the model.

/// <summary>A type as written: a primitive, a name, or a constructor over other written types.</summary>
internal sealed class TypeSyntax
{
    public TypeSyntax(string form, WitToken at)
    {
        Form = form;
        At = at;
    }

    /// <summary>A primitive's name, <c>list</c>, <c>option</c>, <c>result</c>, <c>tuple</c>, <c>name</c> (a reference), or an unsupported form (<c>own</c>, <c>borrow</c>, <c>future</c>, <c>stream</c>).</summary>
    public string Form { get; }

    public WitToken At { get; }

    public List<TypeSyntax?> Arguments { get; } = new();
}

internal sealed record FieldSyntax(string Name, WitToken At, TypeSyntax? Type);

/// <summary><c>type</c>, <c>record</c>, <c>variant</c>, <c>enum</c>, <c>flags</c> or <c>resource</c>, with its members.</summary>
internal sealed class TypeDefSyntax
{
    public TypeDefSyntax(string keyword, string name, WitToken at)
    {
        Keyword = keyword;
        Name = name;
        At = at;
    }

    public string Keyword { get; }
    public string Name { get; }
    public WitToken At { get; }

    /// <summary>An alias's target.</summary>
    public TypeSyntax? Target { get; set; }

    /// <summary>Record fields, variant cases (type null: no payload), enum cases and flags (type null).</summary>
    public List<FieldSyntax> Members { get; } = new();
}

internal sealed record FunctionSyntax(string Name, WitToken At, List<FieldSyntax> Params, TypeSyntax? Result);

/// <summary>An interface reference: a local name, or <c>ns:pkg/name@ver</c>.</summary>
internal sealed record InterfaceRefSyntax(string? Package, string Name, WitToken At);

internal sealed record UseNameSyntax(string Name, string Alias, WitToken At);

internal sealed record UseSyntax(InterfaceRefSyntax From, List<UseNameSyntax> Names);

/// <summary>The members of an interface or a world: type definitions, <c>use</c> statements, functions.</summary>
internal class ScopeSyntax
{
    public ScopeSyntax(string name, WitToken at, string file)
    {
        Name = name;
        At = at;
        File = file;
    }

    public string Name { get; }
    public WitToken At { get; }
    public string File { get; }
    public List<TypeDefSyntax> Types { get; } = new();
    public List<UseSyntax> Uses { get; } = new();
    public List<FunctionSyntax> Functions { get; } = new();
}

internal sealed class InterfaceSyntax : ScopeSyntax
{
    public InterfaceSyntax(string name, WitToken at, string file)
        : base(name, at, file)
    {
    }
}

/// <summary>An <c>import</c> or <c>export</c> of a world: a function, an inline interface, or a named one.</summary>
internal sealed record WorldItemSyntax(bool IsImport, string Name, WitToken At, FunctionSyntax? Function, InterfaceSyntax? Inline, InterfaceRefSyntax? Reference);

internal sealed class WorldSyntax : ScopeSyntax
{
    public WorldSyntax(string name, WitToken at, string file)
        : base(name, at, file)
    {
    }

    public List<WorldItemSyntax> Items { get; } = new();
}

internal sealed class FileSyntax
{
    public FileSyntax(string path) => Path = path;

    public string Path { get; }

    /// <summary><c>ns:pkg</c> and its version, when the file declares its package.</summary>
    public string? Package { get; set; }

    public string? PackageVersion { get; set; }

    public WitToken PackageAt { get; set; }

    public List<InterfaceSyntax> Interfaces { get; } = new();

    public List<WorldSyntax> Worlds { get; } = new();
}
