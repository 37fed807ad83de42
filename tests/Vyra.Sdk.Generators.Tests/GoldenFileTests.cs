using Microsoft.CodeAnalysis;
using Xunit;

namespace Vyra.Sdk.Generators.Tests;

/// <summary>
/// The generated files of each scenario against the files in <c>Baselines/&lt;scenario&gt;/</c>. Run with
/// <c>UPDATE_BASELINES=1</c> to rewrite them: the run then fails once, so an update never passes silently.
/// </summary>
public class GoldenFileTests
{
    public static TheoryData<string> Scenarios() => ["counter-widget", "math-kit", "text-tools", "host-calc", "tricky-names", "host-bindings", "yaml-counter", "yaml-upstream"];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Generated_files_match_the_baseline(string scenario)
    {
        var (manifests, sources) = Inputs(scenario);
        var (result, output) = GeneratorHarness.Run(manifests, sources);

        Assert.Null(result.Exception);
        Assert.Empty(GeneratorHarness.Problems(output).Select(d => d.ToString()));

        var actual = result.GeneratedSources.ToDictionary(s => s.HintName, s => Normalize(s.SourceText.ToString()));
        var folder = Repo.Path("tests", "Vyra.Sdk.Generators.Tests", "Baselines", scenario);
        if (Environment.GetEnvironmentVariable("UPDATE_BASELINES") == "1")
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            Directory.CreateDirectory(folder);
            foreach (var (hint, text) in actual) File.WriteAllText(Path.Combine(folder, hint), text);
            Assert.Fail($"UPDATE_BASELINES=1: rewrote {actual.Count} baseline file(s) of '{scenario}'; run again without it.");
        }

        Assert.True(Directory.Exists(folder), $"no baselines for '{scenario}' (run the tests once with UPDATE_BASELINES=1)");
        var expected = Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), f => Normalize(File.ReadAllText(f)));
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (hint, text) in expected) Assert.Equal(text, actual[hint]);
    }

    internal static (AdditionalText[] Manifests, string[] Sources) Inputs(string scenario)
    {
        var sample = Repo.Path("samples", "plugins", scenario, "1.0.0", "metadata.json");
        if (File.Exists(sample)) return ([Repo.SampleManifest(sample)], []);
        var yamlSample = Repo.Path("samples", "plugins", scenario, "1.0.0", "manifest.yaml");
        if (File.Exists(yamlSample)) return ([Repo.SampleManifest(yamlSample)], []);
        var folder = Repo.Path("tests", "Vyra.Sdk.Generators.Tests", "Inputs", scenario);
        var manifests = Directory.GetFiles(folder, "metadata.json").Concat(Directory.GetFiles(folder, "manifest.yaml"))
            .Select(f => (AdditionalText)new InMemoryAdditionalText($"/inputs/{scenario}/{Path.GetFileName(f)}", File.ReadAllText(f)))
            .ToArray();
        var sources = Directory.GetFiles(folder, "*.cs").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToArray();
        return (manifests, sources);
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n");
}
