using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis.Text;
using Vyra.Sdk.Generators.Diagnostics;
using Vyra.Sdk.Generators.Model;
using Vyra.Sdk.Wit;

namespace Vyra.Sdk.Generators.Wit;

/// <summary>One <c>.wit</c> file's text (equatable: an unchanged file is a cache hit).</summary>
internal sealed record WitSource(string Path, string Text);

/// <summary>The <c>.wit</c> files of one folder: one WIT package.</summary>
internal sealed record WitFolder(string Folder, EquatableArray<WitSource> Files);

/// <summary>What one package gives: a source per world, and the diagnostics of its files.</summary>
internal sealed record WitOutput(EquatableArray<GeneratedFile> Files, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>The WIT side of the generator: files → folders (packages) → resolved worlds → C# (docs/generator.md, "WIT").</summary>
internal static class WitGeneration
{
    /// <summary>The most WIT text one folder may hold, as the kernel reads it.</summary>
    public const int MaxFolderChars = 1 << 20;

    public static bool IsWit(string path) => path.EndsWith(".wit", StringComparison.OrdinalIgnoreCase);

    public static EquatableArray<WitFolder> GroupByFolder(ImmutableArray<WitSource> files) =>
        files
            .GroupBy(f => Path.GetDirectoryName(f.Path) ?? "", StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new WitFolder(g.Key, g.OrderBy(f => f.Path, StringComparer.Ordinal).ToEquatableArray()))
            .ToEquatableArray();

    public static WitOutput Generate(WitFolder folder, string @namespace, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var total = folder.Files.Sum(f => (long)f.Text.Length);
        if (total > MaxFolderChars)
        {
            var first = folder.Files[0];
            diagnostics.Add(DiagnosticInfo.Create(VyraDiagnostics.WitTooLarge, new LocationInfo(first.Path, default, default), $"the .wit files of '{folder.Folder}' hold {total} characters; at most {MaxFolderChars} are read"));
            return new WitOutput(EquatableArray<GeneratedFile>.Empty, diagnostics.ToEquatableArray());
        }
        var problems = new List<WitProblem>();
        var resolver = WitResolver.Load(folder.Files.Select(f => new KeyValuePair<string, string>(f.Path, f.Text)), problems);
        var worlds = new List<WitWorld>();
        resolver.ResolveInterfaces();
        if (!resolver.HasProblems)
        {
            foreach (var name in resolver.WorldNames)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (resolver.ResolveWorld(name) is { } world) worlds.Add(world);
            }
        }
        foreach (var world in worlds) NestedOptions(world, folder, problems);
        var texts = folder.Files.ToDictionary(f => f.Path, f => f.Text, StringComparer.Ordinal);
        foreach (var problem in problems) diagnostics.Add(ToDiagnostic(problem, texts));
        if (diagnostics.Count > 0) return new WitOutput(EquatableArray<GeneratedFile>.Empty, diagnostics.ToEquatableArray());
        var files = worlds.Select(w => WitEmitter.Emit(w, @namespace)).ToEquatableArray();
        return new WitOutput(files, EquatableArray<DiagnosticInfo>.Empty);
    }

    /// <summary><c>option&lt;option&lt;T&gt;&gt;</c> has no natural C# shape (<c>T??</c> is <c>T?</c>): refused, at the world.</summary>
    private static void NestedOptions(WitWorld world, WitFolder folder, List<WitProblem> problems)
    {
        var seen = new HashSet<WitType>();
        bool Nested(WitType? t)
        {
            if (t is null || !seen.Add(t)) return false;
            if (t.Kind == WitKind.Option && t.Element!.Kind == WitKind.Option) return true;
            return Nested(t.Element) || Nested(t.Ok) || Nested(t.Err) || t.Items.Any(Nested) || t.Fields.Any(f => Nested(f.Type)) || t.Cases.Any(c => Nested(c.Type));
        }
        var functions = world.ExportedFunctions.Concat(world.ImportedFunctions)
            .Concat(world.ExportedInterfaces.SelectMany(i => i.Functions)).Concat(world.ImportedInterfaces.SelectMany(i => i.Functions));
        foreach (var f in functions)
        {
            if (f.Params.Any(p => Nested(p.Type)) || Nested(f.Result))
            {
                var file = folder.Files[0].Path;
                problems.Add(new WitProblem(WitProblemCode.Unsupported, $"'{f.Name}' of world '{world.Name}' uses option<option<…>>, which has no C# shape yet", file, 1, 1, 0, 0));
            }
        }
    }

    private static DiagnosticInfo ToDiagnostic(WitProblem problem, Dictionary<string, string> texts)
    {
        var descriptor = problem.Code switch
        {
            WitProblemCode.Syntax => VyraDiagnostics.WitSyntax,
            WitProblemCode.Unresolved => VyraDiagnostics.WitUnresolved,
            WitProblemCode.Duplicate => VyraDiagnostics.WitDuplicate,
            WitProblemCode.Unsupported => VyraDiagnostics.WitUnsupported,
            _ => VyraDiagnostics.WitTooLarge,
        };
        var length = texts.TryGetValue(problem.File, out var text) ? Math.Max(0, Math.Min(problem.Length, text.Length - problem.Start)) : 0;
        var start = new LinePosition(problem.Line - 1, problem.Column - 1);
        var end = new LinePosition(problem.Line - 1, problem.Column - 1 + length);
        return DiagnosticInfo.Create(descriptor, new LocationInfo(problem.File, new TextSpan(problem.Start, length), new LinePositionSpan(start, end)), problem.Message);
    }
}
