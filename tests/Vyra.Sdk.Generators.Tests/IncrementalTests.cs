using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Vyra.Sdk.Generators.Tests;

/// <summary>The pipeline caches: each step's run reasons after an edit, and no symbols or compilations in step outputs.</summary>
public class IncrementalTests
{
    private static readonly string[] ManifestSteps =
    [
        TrackingNames.ManifestFiles, TrackingNames.ParsedManifests, TrackingNames.PluginSpecs,
        TrackingNames.ClassWinners, TrackingNames.Options, TrackingNames.ProxySources, TrackingNames.ManifestDiagnostics,
    ];

    private static AdditionalText Sample(string id) => Repo.SampleManifest(Repo.Path("samples", "plugins", id, "1.0.0", "metadata.json"));

    private static string HostSource() => File.ReadAllText(Repo.Path("tests", "Vyra.Sdk.Generators.Tests", "Inputs", "host-bindings", "Hosts.cs"));

    [Fact]
    public void Editing_plugin_A_leaves_plugin_B_cached()
    {
        var a = Sample("counter-widget");
        var b = Sample("math-kit");
        var driver = GeneratorHarness.Driver([a, b]).RunGenerators(GeneratorHarness.Compilation());

        var edited = new InMemoryAdditionalText(a.Path, a.GetText()!.ToString().Replace("A simple counter", "A plain counter"));
        var result = driver.ReplaceAdditionalText(a, edited).RunGenerators(GeneratorHarness.Compilation()).GetRunResult().Results.Single();

        Assert.Equal(IncrementalStepRunReason.Cached, ReasonFor(result, TrackingNames.ParsedManifests, b.Path));
        Assert.Equal(IncrementalStepRunReason.Cached, ReasonFor(result, TrackingNames.PluginSpecs, b.Path));
        Assert.Equal(IncrementalStepRunReason.Modified, ReasonFor(result, TrackingNames.PluginSpecs, a.Path));
        var sources = Outputs(result, TrackingNames.ProxySources);
        Assert.Contains(sources, o => Text(o.Value).Contains("class MathKitPlugin") && o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
        Assert.Contains(sources, o => Text(o.Value).Contains("A plain counter") && o.Reason == IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void An_unrelated_csharp_edit_leaves_everything_cached()
    {
        var compilation = GeneratorHarness.Compilation("class Unrelated { int X => 1; }", HostSource());
        var driver = GeneratorHarness.Driver([Sample("counter-widget"), Sample("text-tools")]).RunGenerators(compilation);

        var tree = compilation.SyntaxTrees.First();
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText("class Unrelated { int X => 2; }", GeneratorHarness.ParseOptions, tree.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (var step in ManifestSteps)
        {
            Assert.All(Outputs(result, step), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        }
        // The host class is re-checked against the new compilation (a syntax provider's transform must see it) but is equal.
        Assert.NotEmpty(Outputs(result, TrackingNames.HostClasses));
        Assert.All(Outputs(result, TrackingNames.HostClasses), o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        Assert.All(Outputs(result, TrackingNames.HostSources), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Theory]
    [InlineData("whitespace")]
    [InlineData("key-order")]
    public void Layout_only_edits_end_unchanged(string edit)
    {
        var a = Sample("counter-widget");
        var text = a.GetText()!.ToString();
        var changed = edit == "whitespace"
            ? text.Replace("\n  ", "\r\n\t  ").Replace(",\n", " ,\n")
            : text.Replace("\"id\": \"counter-widget\",\n  \"version\": \"1.0.0\",", "\"version\": \"1.0.0\",\n  \"id\": \"counter-widget\",");
        Assert.NotEqual(text, changed);
        var driver = GeneratorHarness.Driver([a]).RunGenerators(GeneratorHarness.Compilation());

        var result = driver.ReplaceAdditionalText(a, new InMemoryAdditionalText(a.Path, changed)).RunGenerators(GeneratorHarness.Compilation()).GetRunResult().Results.Single();

        Assert.Equal(IncrementalStepRunReason.Modified, ReasonFor(result, TrackingNames.ParsedManifests, a.Path));
        Assert.Equal(IncrementalStepRunReason.Unchanged, ReasonFor(result, TrackingNames.PluginSpecs, a.Path));
        Assert.All(Outputs(result, TrackingNames.ProxySources), o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
    }

    [Fact]
    public void Step_outputs_hold_no_symbols_or_compilations()
    {
        var compilation = GeneratorHarness.Compilation(HostSource());
        var manifests = Repo.SampleManifests().Select(Repo.SampleManifest).ToArray();
        var result = GeneratorHarness.Driver(manifests).RunGenerators(compilation).GetRunResult().Results.Single();

        // Only our steps: Roslyn's own steps inside ForAttributeWithMetadataName hold syntax trees by design.
        var ours = typeof(TrackingNames).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!).ToHashSet();
        Assert.Contains(result.TrackedSteps, s => ours.Contains(s.Key));
        Assert.Contains(TrackingNames.HostClasses, result.TrackedSteps.Keys);
        foreach (var (name, runs) in result.TrackedSteps.Where(s => ours.Contains(s.Key)))
        {
            foreach (var run in runs)
            {
                foreach (var (value, _) in run.Outputs) AssertPlain(value, $"step {name}", 0);
            }
        }
    }

    private static void AssertPlain(object? value, string path, int depth)
    {
        if (value is null || depth > 12) return;
        Assert.False(value is ISymbol or Compilation or SemanticModel or SyntaxNode or SyntaxTree, $"{path} holds a {value.GetType().Name}");
        var type = value.GetType();
        if (type.IsPrimitive || type.IsEnum || value is string || type.Namespace?.StartsWith("Microsoft.CodeAnalysis.Text", StringComparison.Ordinal) == true) return;
        if (value is AdditionalText) return; // the input node's own items
        if (value is IEnumerable items)
        {
            var i = 0;
            foreach (var item in items) AssertPlain(item, $"{path}[{i++}]", depth + 1);
            return;
        }
        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertPlain(field.GetValue(value), $"{path}.{field.Name}", depth + 1);
        }
    }

    private static IReadOnlyList<(object Value, IncrementalStepRunReason Reason)> Outputs(GeneratorRunResult result, string step) =>
        result.TrackedSteps.TryGetValue(step, out var runs) ? [.. runs.SelectMany(r => r.Outputs)] : [];

    private static IncrementalStepRunReason ReasonFor(GeneratorRunResult result, string step, string path) =>
        Outputs(result, step).Single(o => PathOf(o.Value) == path).Reason;

    private static string? PathOf(object? value) => value switch
    {
        Model.ManifestParseResult parsed => parsed.FilePath,
        Model.PluginSpec spec => spec.FilePath,
        _ => null,
    };

    private static string Text(object? value) => value is Model.GeneratedFile file ? file.Text : "";
}
