using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Vyra.Sdk.Generators.Diagnostics;
using Vyra.Sdk.Generators.Model;

namespace Vyra.Sdk.Generators.Parsing;

/// <summary>
/// Describes a <c>[VyraHost]</c> class (a <c>BaseHostFunctions</c> subclass) and its host import methods (named
/// <c>host_*</c> or marked <c>[HostImport("name")]</c>) as plain values; signatures are checked against the ABI here.
/// Host classes are found by the attribute (<c>ForAttributeWithMetadataName</c>), never by scanning every class.
/// </summary>
internal static class HostClassParser
{
    private const string BaseClassName = "Vyra.Sdk.BaseHostFunctions";
    private const string AttributeName = "Vyra.Sdk.HostImportAttribute";
    private const string Prefix = "host_";

    /// <summary>The class attribute that makes a host class (discovery runs on it: no class is inspected without it).</summary>
    public const string HostAttributeName = "Vyra.Sdk.VyraHostAttribute";

    /// <summary>The method attribute naming an import, also looked up by name to catch one outside a marked class.</summary>
    public const string ImportAttributeName = AttributeName;

    /// <summary>Syntax filter of the attribute lookup: only a class declaration can be a host class.</summary>
    public static bool IsClass(SyntaxNode node, CancellationToken cancellationToken) => node is ClassDeclarationSyntax;

    /// <summary>Syntax filter of the import attribute lookup: a method.</summary>
    public static bool IsMethod(SyntaxNode node, CancellationToken cancellationToken) => node is MethodDeclarationSyntax;

    /// <summary>
    /// A <c>[HostImport]</c> method in a class that lacks <c>[VyraHost]</c> would silently get no binding: say so.
    /// (A method bound by its <c>host_*</c> name alone cannot be checked this way without inspecting every class;
    /// docs/generator.md states the rule instead.)
    /// </summary>
    public static DiagnosticInfo? CheckImportOutsideHost(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not IMethodSymbol { ContainingType: { } type } method) return null;
        if (FindBase(type) is null) return null;
        foreach (var data in type.GetAttributes())
        {
            if (data.AttributeClass?.ToDisplayString() == HostAttributeName) return null;
        }
        var location = method.Locations.Length > 0 ? LocationInfo.From(method.Locations[0]) : null;
        return DiagnosticInfo.Create(VyraDiagnostics.HostClassNotMarked, location, method.Name, type.Name);
    }

    public static HostClassSpec? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetNode is not ClassDeclarationSyntax declaration || context.TargetSymbol is not INamedTypeSymbol type) return null;
        if (FindBase(type) is null)
        {
            var misplaced = DiagnosticInfo.Create(VyraDiagnostics.HostAttributeWithoutBase, LocationInfo.From(declaration.Identifier.GetLocation()), type.Name);
            return new HostClassSpec("", EquatableArray<string>.Empty, "", MetadataName(type), EquatableArray<HostMethodSpec>.Empty, new[] { misplaced }.ToEquatableArray());
        }

        var attribute = context.SemanticModel.Compilation.GetTypeByMetadataName(AttributeName);
        var diagnostics = new List<DiagnosticInfo>();
        var methods = new List<HostMethodSpec>();
        var names = new Dictionary<string, string>(System.StringComparer.Ordinal);
        foreach (var method in type.GetMembers().OfType<IMethodSymbol>())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (method.MethodKind != MethodKind.Ordinary) continue;
            var importName = ImportName(method, attribute);
            if (importName is null) continue;
            var location = method.Locations.Length > 0 ? LocationInfo.From(method.Locations[0]) : null;
            var spec = Describe(method, importName, out var problem);
            if (spec is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(VyraDiagnostics.UnsupportedHostMethod, location, method.Name, importName, problem!));
                continue;
            }
            if (names.TryGetValue(importName, out var other))
            {
                diagnostics.Add(DiagnosticInfo.Create(VyraDiagnostics.NameCollision, location, "Host method", method.Name, importName, $"host method '{other}'"));
                continue;
            }
            names[importName] = method.Name;
            methods.Add(spec);
        }
        if (methods.Count == 0 && diagnostics.Count == 0) return null;

        var notPartial = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>()
            .Any(d => !d.Modifiers.Any(SyntaxKind.PartialKeyword));
        var containers = new List<string>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            var outerSyntax = outer.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().ToList();
            if (outerSyntax.Count == 0 || outerSyntax.Any(d => !d.Modifiers.Any(SyntaxKind.PartialKeyword))) notPartial = true;
            containers.Insert(0, "partial " + Keyword(outer) + " " + NameWithTypeParameters(outer));
        }
        if (notPartial)
        {
            diagnostics.Add(DiagnosticInfo.Create(VyraDiagnostics.HostClassNotPartial, LocationInfo.From(declaration.Identifier.GetLocation()), type.Name));
            methods.Clear();
        }
        return new HostClassSpec(
            type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString(),
            containers.ToEquatableArray(),
            "class " + NameWithTypeParameters(type),
            MetadataName(type),
            methods.ToEquatableArray(),
            diagnostics.ToEquatableArray());
    }

    private static INamedTypeSymbol? FindBase(INamedTypeSymbol type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (current.ToDisplayString() == BaseClassName) return current;
        }
        return null;
    }

    private static string? ImportName(IMethodSymbol method, INamedTypeSymbol? attribute)
    {
        if (attribute is not null)
        {
            foreach (var data in method.GetAttributes())
            {
                if (SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute)
                    && data.ConstructorArguments.Length == 1 && data.ConstructorArguments[0].Value is string { Length: > 0 } name)
                {
                    return name;
                }
            }
        }
        return method.Name.StartsWith(Prefix, System.StringComparison.Ordinal) ? method.Name : null;
    }

    private static HostMethodSpec? Describe(IMethodSymbol method, string importName, out string? problem)
    {
        problem = null;
        if (method.IsGenericMethod)
        {
            problem = "a host method cannot be generic";
            return null;
        }
        var parameters = new List<PluginValueType>();
        foreach (var parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.None || parameter.IsParams)
            {
                problem = $"parameter '{parameter.Name}' must be passed by value (no ref, out, in or params)";
                return null;
            }
            if (Map(parameter.Type) is not { } type)
            {
                problem = $"parameter '{parameter.Name}' has type {parameter.Type.ToDisplayString()}; supported: int, long, float, double, bool, string, byte[], JsonNode";
                return null;
            }
            parameters.Add(type);
        }
        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            problem = "a host method cannot return by reference";
            return null;
        }
        var shape = HostReturnShape.Direct;
        var returnType = method.ReturnType;
        if (returnType is INamedTypeSymbol named && named.ContainingNamespace?.ToDisplayString() == "System.Threading.Tasks"
            && named.Name is "Task" or "ValueTask")
        {
            shape = named.Name == "Task" ? HostReturnShape.Task : HostReturnShape.ValueTask;
            if (named.TypeArguments.Length == 0)
            {
                return new HostMethodSpec(importName, method.Name, method.IsStatic, parameters.ToEquatableArray(), EquatableArray<AbiType>.Empty, shape);
            }
            returnType = named.TypeArguments[0];
        }
        else if (returnType.SpecialType == SpecialType.System_Void)
        {
            return new HostMethodSpec(importName, method.Name, method.IsStatic, parameters.ToEquatableArray(), EquatableArray<AbiType>.Empty, shape);
        }
        var results = new List<PluginValueType>();
        if (returnType is INamedTypeSymbol { IsTupleType: true } tuple)
        {
            foreach (var element in tuple.TupleElements)
            {
                if (Map(element.Type) is not { } type)
                {
                    problem = $"tuple element '{element.Name}' has type {element.Type.ToDisplayString()}; supported: int, long, float, double, bool, string, byte[], JsonNode";
                    return null;
                }
                results.Add(type);
            }
        }
        else if (Map(returnType) is { } single)
        {
            results.Add(single);
        }
        else
        {
            problem = $"the return type {method.ReturnType.ToDisplayString()} is not supported; use void, int, long, float, double, bool, string, byte[], JsonNode, a tuple of them, or Task/ValueTask of those";
            return null;
        }
        return new HostMethodSpec(importName, method.Name, method.IsStatic, parameters.ToEquatableArray(), results.ToEquatableArray(), shape);
    }

    private static PluginValueType? Map(ITypeSymbol type)
    {
        switch (type.SpecialType)
        {
            case SpecialType.System_Int32: return PluginValueType.I32;
            case SpecialType.System_Int64: return PluginValueType.I64;
            case SpecialType.System_Single: return PluginValueType.F32;
            case SpecialType.System_Double: return PluginValueType.F64;
            case SpecialType.System_Boolean: return PluginValueType.Bool;
            case SpecialType.System_String: return PluginValueType.String;
        }
        if (type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte }) return PluginValueType.Bytes;
        if (type.OriginalDefinition.ToDisplayString() == "System.Text.Json.Nodes.JsonNode") return PluginValueType.Json;
        return null;
    }

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    private static string NameWithTypeParameters(INamedTypeSymbol type) =>
        type.TypeParameters.Length == 0 ? Naming.Identifiers.Escape(type.Name) : $"{Naming.Identifiers.Escape(type.Name)}<{string.Join(", ", type.TypeParameters.Select(t => t.Name))}>";

    private static string MetadataName(INamedTypeSymbol type)
    {
        var name = type.MetadataName;
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType) name = outer.MetadataName + "." + name;
        if (!type.ContainingNamespace.IsGlobalNamespace) name = type.ContainingNamespace.ToDisplayString() + "." + name;
        return name.Replace('`', '_');
    }
}
