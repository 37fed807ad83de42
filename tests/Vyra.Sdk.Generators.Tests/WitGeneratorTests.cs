using Microsoft.CodeAnalysis;
using Xunit;

namespace Vyra.Sdk.Generators.Tests;

/// <summary>WIT given as AdditionalFiles: golden C#, diagnostics located in the .wit file, incremental caching across edits.</summary>
public class WitGeneratorTests
{
    private static AdditionalText Wit(string path, string text) => new InMemoryAdditionalText(path, text);

    private static AdditionalText[] KitchenInputs() =>
        [.. Directory.GetFiles(Repo.Path("tests", "Vyra.Sdk.Generators.Tests", "Inputs", "wit-kitchen"), "*.wit")
            .Order(StringComparer.Ordinal)
            .Select(f => Wit("/inputs/wit-kitchen/" + Path.GetFileName(f), File.ReadAllText(f)))];

    [Fact]
    public void The_kitchen_world_generates_the_baseline_and_compiles_cleanly()
    {
        var (result, output) = GeneratorHarness.Run(KitchenInputs());
        Assert.Null(result.Exception);
        Assert.Empty(result.Diagnostics.Select(d => d.ToString()));
        Assert.Empty(GeneratorHarness.Problems(output).Select(d => d.ToString()));
        var actual = result.GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString().Replace("\r\n", "\n"));
        Assert.Equal(["VyraWit.Kitchen.g.cs"], actual.Keys);
        var folder = Repo.Path("tests", "Vyra.Sdk.Generators.Tests", "Baselines", "wit-kitchen");
        if (Environment.GetEnvironmentVariable("UPDATE_BASELINES") == "1")
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            Directory.CreateDirectory(folder);
            foreach (var (hint, text) in actual) File.WriteAllText(Path.Combine(folder, hint), text);
            Assert.Fail("UPDATE_BASELINES=1: rewrote the wit-kitchen baseline; run again without it.");
        }
        foreach (var (hint, text) in actual) Assert.Equal(File.ReadAllText(Path.Combine(folder, hint)).Replace("\r\n", "\n"), text);
    }

    [Theory]
    [InlineData("package a:b;\nworld w {\n  export f: func(x: u32 -> u32;\n}\n", "VYRA050", 3, 25, "expected ')' to close the parameters")]
    [InlineData("package a:b;\nworld w {\n  export f: func(x: strng);\n}\n", "VYRA051", 3, 21, "type 'strng' is not defined in 'w'")]
    [InlineData("package a:b;\ninterface i {\n  resource file;\n}\nworld w { import i; }\n", "VYRA053", 3, 12, "resources are not yet supported")]
    [InlineData("package a:b;\ninterface i {\n  f: func(h: borrow<x>);\n}\n", "VYRA053", 3, 14, "'borrow<…>' handles: resources are not yet supported")]
    [InlineData("package a:b;\ninterface i {\n  enum e { a, b, a }\n}\n", "VYRA052", 3, 18, "'a' appears twice in 'e'")]
    [InlineData("package a:b;\ninterface i {\n  type a = b;\n  type b = a;\n}\nworld w { import i; }\n", "VYRA053", 3, 8, "'a' refers to itself")]
    [InlineData("package a:b;\nworld w {\n  import missing;\n}\n", "VYRA051", 3, 10, "interface 'missing' is not defined in the package")]
    [InlineData("package a:b;\nworld w {\n  export f: func() -> option<option<u8>>;\n}\n", "VYRA053", 1, 1, "option<option<…>>")]
    [InlineData("package a:b;\nworld w {\n  export f: func() -> Mixed-Case;\n}\n", "VYRA050", 3, 23, "mixes upper and lower case")]
    [InlineData("package a:b;\nworld w {\n  include other;\n}\n", "VYRA053", 3, 3, "'include' of another world is not supported yet")]
    public void Wit_problems_are_diagnostics_located_in_the_wit_file(string wit, string id, int line, int column, string message)
    {
        var (result, _) = GeneratorHarness.Run([Wit("/wit/bad/world.wit", wit)]);
        Assert.Null(result.Exception);
        var diagnostic = result.Diagnostics.First(d => d.Id == id);
        Assert.Contains(message, diagnostic.GetMessage());
        var span = diagnostic.Location.GetLineSpan();
        Assert.Equal("/wit/bad/world.wit", span.Path);
        Assert.Equal((line, column), (span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1));
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void Hostile_nesting_is_bounded()
    {
        var deep = string.Concat(Enumerable.Repeat("list<", 5000)) + "u8" + new string('>', 5000);
        var (result, _) = GeneratorHarness.Run([Wit("/wit/deep/w.wit", $"package a:b;\nworld w {{ export f: func(x: {deep}); }}\n")]);
        Assert.Null(result.Exception);
        Assert.Contains(result.Diagnostics, d => d.Id == "VYRA054" && d.GetMessage().Contains("nest deeper than 32"));
    }

    [Fact]
    public void An_edit_to_one_package_leaves_the_other_cached_and_a_comment_leaves_its_output_unchanged()
    {
        var a = Wit("/wit/a/w.wit", "package t:a;\nworld alpha { export f: func(x: u32) -> u32; }\n");
        var b = Wit("/wit/b/w.wit", "package t:b;\nworld beta { export g: func(s: string) -> string; }\n");
        var driver = GeneratorHarness.Driver([a, b]).RunGenerators(GeneratorHarness.Compilation());

        var bEdited = Wit("/wit/b/w.wit", "package t:b;\nworld beta { export g: func(s: string) -> list<string>; }\n");
        driver = driver.ReplaceAdditionalText(b, bEdited).RunGenerators(GeneratorHarness.Compilation());
        var result = driver.GetRunResult().Results.Single();
        var outputs = result.TrackedSteps[TrackingNames.WitOutputs].SelectMany(r => r.Outputs).ToList();
        Assert.Contains(outputs, o => Text(o.Value).Contains("class AlphaComponent") && o.Reason == IncrementalStepRunReason.Cached);
        Assert.Contains(outputs, o => Text(o.Value).Contains("class BetaComponent") && o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(result.GeneratedSources, s => s.SourceText.ToString().Contains("IReadOnlyList<string>> GAsync"));

        var commented = Wit("/wit/b/w.wit", "package t:b;\n// a comment only\nworld beta { export g: func(s: string) -> list<string>; }\n");
        driver = driver.ReplaceAdditionalText(bEdited, commented).RunGenerators(GeneratorHarness.Compilation());
        result = driver.GetRunResult().Results.Single();
        outputs = result.TrackedSteps[TrackingNames.WitOutputs].SelectMany(r => r.Outputs).ToList();
        Assert.Contains(outputs, o => Text(o.Value).Contains("class BetaComponent") && o.Reason == IncrementalStepRunReason.Unchanged);
    }

    private static string Text(object value) => value is Wit.WitOutput output ? string.Concat(output.Files.Select(f => f.Text)) : "";
}
