using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Vyra.Sdk.Generators.Diagnostics;
using Xunit;

namespace Vyra.Sdk.Generators.Tests;

/// <summary>
/// What the generator gives a package user beyond the proxy's calls: the path-less Create that finds the plugin's
/// folder in the output, help links that land on the docs, and generated code naming the generator's version.
/// </summary>
public class PackageFacingTests
{
    private static readonly string Manifest = File.ReadAllText(Repo.Path("samples", "plugins", "counter-widget", "1.0.0", "metadata.json"));

    private static string Generate(string manifestPath, string? projectDir)
    {
        var options = new Dictionary<string, string> { ["build_property.RootNamespace"] = "App" };
        if (projectDir is not null) options["build_property.ProjectDir"] = projectDir;
        var (result, output) = GeneratorHarness.Run([new InMemoryAdditionalText(manifestPath, Manifest)], options: options);
        Assert.Empty(GeneratorHarness.Problems(output).Select(d => d.ToString()));
        Assert.Empty(result.Diagnostics);
        return result.GeneratedSources.Single().SourceText.ToString();
    }

    [Theory]
    [InlineData("/src/app/plugins/counter-widget/1.0.0/metadata.json", "/src/app/", "plugins/counter-widget/1.0.0")]
    [InlineData("/src/app/metadata.json", "/src/app", "")]
    // Windows may disagree with itself on a drive letter's case: the comparison ignores case.
    [InlineData("/SRC/App/p/metadata.json", "/src/app/", "p")]
    public void A_manifest_inside_the_project_gets_a_path_less_Create_with_its_project_relative_folder(string path, string projectDir, string folder)
    {
        var source = Generate(path, projectDir);
        Assert.Contains($"public const string PluginFolder = \"{folder}\";", source);
        Assert.Contains("public static CounterWidgetPlugin Create(global::Vyra.Sdk.IHostFunctions? host = null,", source);
        Assert.Contains("global::System.AppContext.BaseDirectory", source);
    }

    [Theory]
    [InlineData("/elsewhere/plugins/counter-widget/1.0.0/metadata.json", "/src/app/")]
    [InlineData("/src/application/metadata.json", "/src/app")]
    [InlineData("/src/app/plugins/metadata.json", null)]
    [InlineData("/src/app/plugins/metadata.json", "")]
    public void A_manifest_outside_the_project_or_without_a_project_folder_gets_only_the_path_Create(string path, string? projectDir)
    {
        var source = Generate(path, projectDir);
        Assert.DoesNotContain("PluginFolder", source);
        Assert.Contains("public static CounterWidgetPlugin Create(string wasmPath,", source);
    }

    [Fact]
    public void Generated_code_names_the_generator_assembly_version()
    {
        var version = typeof(VyraGenerator).Assembly.GetName().Version!.ToString();
        var source = Generate("/app/metadata.json", null);
        Assert.Contains($"[global::System.CodeDom.Compiler.GeneratedCode(\"Vyra.Sdk.Generators\", \"{version}\")]", source);
    }

    [Fact]
    public void Every_diagnostic_links_to_its_own_anchor_in_docs_generator_md()
    {
        var docs = File.ReadAllText(Repo.Path("docs", "generator.md"));
        var descriptors = typeof(VyraDiagnostics).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToList();
        Assert.NotEmpty(descriptors);
        foreach (var descriptor in descriptors)
        {
            var anchor = descriptor.Id.ToLowerInvariant();
            Assert.Equal(VyraDiagnostics.HelpBase + anchor, descriptor.HelpLinkUri);
            Assert.Matches(new Regex($"<a id=\"{anchor}\"></a>{descriptor.Id} \\|"), docs);
        }
        // The package's own MSBuild warning has its anchor too.
        Assert.Contains("<a id=\"vyra100\"></a>VYRA100", docs);
    }
}
