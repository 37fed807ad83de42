using Microsoft.CodeAnalysis;
using Xunit;

namespace Vyra.Sdk.Generators.Tests;

/// <summary>The generated code compiles without warnings, for the real manifests and for awkward ones.</summary>
public class CompilationTests
{
    [Fact]
    public void Every_sample_manifest_together_compiles_without_warnings()
    {
        var manifests = Repo.SampleManifests().Select(Repo.SampleManifest).ToArray();
        Assert.True(manifests.Length >= 4);
        var (result, output) = GeneratorHarness.Run(manifests);

        Assert.Empty(result.Diagnostics);
        Assert.Empty(GeneratorHarness.Problems(output).Select(d => d.ToString()));
        // One per plugin folder (a folder with manifest.yaml and metadata.json is one plugin; shared helpers live in the kernel).
        Assert.Equal(manifests.Select(m => System.IO.Path.GetDirectoryName(m.Path)).Distinct().Count(), result.GeneratedSources.Length);
    }

    [Fact]
    public void Generated_code_compiles_with_documentation_warnings_on()
    {
        var manifests = Repo.SampleManifests().Select(Repo.SampleManifest).Append(GoldenFileTests.Inputs("tricky-names").Manifests[0]).ToArray();
        // Generated trees are parsed with the driver's options: with Diagnose, missing or broken XML docs are warnings.
        var parse = GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
        var driver = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create([new VyraGenerator().AsSourceGenerator()], manifests, parse,
            new TestOptionsProvider(GeneratorHarness.DefaultOptions));
        driver.RunGeneratorsAndUpdateCompilation(GeneratorHarness.Compilation(), out var output, out _);

        Assert.Equal(manifests.Select(m => System.IO.Path.GetDirectoryName(m.Path)).Distinct().Count(), output.SyntaxTrees.Count());
        Assert.Empty(GeneratorHarness.Problems(output).Select(d => d.ToString()));
    }

    [Fact]
    public void Proxies_use_the_configured_namespace_and_class_name()
    {
        var manifest = Repo.SampleManifest(Repo.Path("samples", "plugins", "counter-widget", "1.0.0", "metadata.json"));
        var options = new Dictionary<string, string> { ["build_property.VyraPluginNamespace"] = "My.Proxies", ["build_property.RootNamespace"] = "Ignored" };
        var perFile = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            [manifest.Path] = new Dictionary<string, string> { ["build_metadata.AdditionalFiles.VyraClassName"] = "Counter" },
        };
        var (result, output) = GeneratorHarness.Run([manifest], options: options, perFile: perFile);

        Assert.Empty(GeneratorHarness.Problems(output).Select(d => d.ToString()));
        Assert.NotNull(output.GetTypeByMetadataName("My.Proxies.Counter"));
        Assert.NotNull(output.GetTypeByMetadataName("My.Proxies.ICounter"));
        Assert.NotNull(output.GetTypeByMetadataName("My.Proxies.CounterState"));
        Assert.Contains(result.GeneratedSources, s => s.HintName == "VyraPlugin.Counter.g.cs");
    }

    [Fact]
    public void Without_a_root_namespace_proxies_go_to_Plugins()
    {
        var manifest = Repo.SampleManifest(Repo.Path("samples", "plugins", "math-kit", "1.0.0", "metadata.json"));
        var (_, output) = GeneratorHarness.Run([manifest], options: new Dictionary<string, string>());
        Assert.NotNull(output.GetTypeByMetadataName("Plugins.MathKitPlugin"));
    }

    [Fact]
    public void Two_versions_of_one_plugin_give_one_class_from_the_newest()
    {
        var json = File.ReadAllText(Repo.Path("samples", "plugins", "counter-widget", "1.0.0", "metadata.json"));
        var older = GeneratorHarness.Manifest("counter-widget", json, "1.0.0");
        var newer = GeneratorHarness.Manifest("counter-widget", json.Replace("\"1.0.0\"", "\"1.2.0\""), "1.2.0");
        var (result, output) = GeneratorHarness.Run([newer, older]);

        Assert.Empty(GeneratorHarness.Problems(output).Select(d => d.ToString()));
        var proxy = Assert.Single(result.GeneratedSources, s => s.HintName.StartsWith("VyraPlugin.", StringComparison.Ordinal));
        Assert.Contains("PluginVersion = \"1.2.0\"", proxy.SourceText.ToString());
        var warning = Assert.Single(result.Diagnostics);
        Assert.Equal("VYRA011", warning.Id);
        Assert.Equal(older.Path, warning.Location.GetLineSpan().Path);
    }
}
