extern alias Kernel;
using System.Collections;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace Vyra.Sdk.Generators.Tests;

/// <summary>
/// Upstream <c>manifest.yaml</c> in the generator: the same proxies as from metadata.json, diagnostics at their line and
/// column in the YAML, the kernel's reading of the same file, folder precedence, and incremental caching.
/// </summary>
public class YamlManifestTests
{
    private const string Counter = """
        # upstream style
        id: counter-widget
        name: Counter Widget
        version: 1.0.0
        scope: { type: MODULE, target: demo }
        description: "A simple counter whose state lives in a wasm global. Classic VYRA plugin: i32 in, i32 out."
        initial_state:
          start: { type: i32, default: 0 }
        entry_points:
          backend:
            runtime_limits:
              memory_mb: 16
            exports:
              - name: init
                description: Set the counter to start and return it.
                args:
                  - name: start
                    type: i32
              - name: increment
                description: Add step to the counter and return the new value.
                args: [{ name: step, type: i32 }]
              - name: reset
                description: Set the counter to 0 and return 0.
                args: []
              - name: get_count
                description: Return the current counter value.
                args: []
        """;

    private static AdditionalText Yaml(string text, string path = "/plugins/counter-widget/1.0.0/manifest.yaml") => new InMemoryAdditionalText(path, text);

    [Fact]
    public void A_yaml_manifest_gives_the_same_proxy_members_as_its_json_twin()
    {
        var json = Repo.SampleManifest(Repo.Path("samples", "plugins", "counter-widget", "1.0.0", "metadata.json"));
        // The two manifests live in different folders: without a project folder neither gets the path-less Create.
        var options = new Dictionary<string, string> { ["build_property.RootNamespace"] = "Sample.App" };
        var (fromJson, _) = GeneratorHarness.Run([json], options: options);
        var (fromYaml, output) = GeneratorHarness.Run([Yaml(Counter)], options: options);

        Assert.Empty(fromYaml.Diagnostics);
        Assert.Empty(GeneratorHarness.Problems(output).Select(d => d.ToString()));
        static string Body(GeneratorRunResult r) => string.Join("\n", r.GeneratedSources.Single().SourceText.ToString().Split('\n').Where(l => !l.Contains("metadata.json") && !l.Contains("manifest.yaml")));
        Assert.Equal(Body(fromJson), Body(fromYaml));
    }

    public static TheoryData<string, string> YamlCases() => new()
    {
        // YAML the generator's reader does not take: each at its own place.
        { "VYRA013", "id: a\nname: A\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\nbase: ⟦&⟧anchor 1\n" },
        { "VYRA013", "id: a\nname: A\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\nother: ⟦*⟧anchor\n" },
        { "VYRA013", "id: a\nname: A\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\ntagged: ⟦!⟧!str 1\n" },
        { "VYRA013", "id: a\nname: A\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\n⟦?⟧ complex\n" },
        { "VYRA013", "⟦%⟧YAML 1.2\n---\nid: a\n" },
        { "VYRA013", "id: a\nname: A\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\n⟦-⟧--\nid: b\n" },
        { "VYRA013", "id: a\nname: A\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\ndescription: ⟦\"⟧two\n  lines\"\n" },
        { "VYRA013", "id: a\nname: A\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\nlist: [a, ⟦b⟧: c]\n" },
        // Malformed YAML.
        { "VYRA013", "id: a\nname: A\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\nlist: [a, b\n⟦⟧" },
        { "VYRA013", "id: a\nname: A\n⟦n⟧ame: B\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\n" },
        { "VYRA013", "id: a\nname: A\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\ndocs:\n  help: x\n    ⟦m⟧ore: y\n" },
        { "VYRA013", "id: a\nname: A\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\ndocs:\n⟦\t⟧help: x\n" },
        { "VYRA013", "⟦- a⟧\n" },
        // Manifest rules, located in the YAML.
        { "VYRA002", "id: ⟦Bad_Id⟧\nname: A\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\n" },
        { "VYRA010", "id: a\nname: A\nversion: ⟦1.2⟧\nscope: { type: MODULE, target: demo }\nentry_points: { backend: {} }\n" },
        { "VYRA010", "id: a\n⟦name⟧:\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\nentry_points: { backend: {} }\n" },
        { "VYRA010", "⟦id⟧: a\nname: A\nversion: 1.0.0\nentry_points: { backend: {} }\n" },
        { "VYRA010", "id: a\nname: A\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\nentry_points:\n  backend:\n    exports:\n      - name: x\n        args: [{ name: s, type: ⟦string⟧ }]\n" },
        { "VYRA004", "id: a\nname: A\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\nentry_points:\n  backend:\n    exports:\n      - name: x\n        args:\n          - name: v\n            type: ⟦i33⟧\n" },
        { "VYRA003", "id: a\nname: A\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\nentry_points:\n  backend:\n    exports:\n      - { name: x, args: [] }\n      - { name: ⟦x⟧, args: [] }\n" },
        { "VYRA009", "id: a\nname: A\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\nentry_points:\n  backend:\n    exports: [⟦increment⟧]\n" },
        { "VYRA010", "id: a\nname: A\nversion: 1.0.0\nscope: { type: MODULE, target: demo }\ninitial_state:\n  start: { type: i32, default: ⟦x⟧ }\nentry_points: { backend: {} }\n" },
        { "VYRA014", "id: ⟦panel⟧\nname: Panel\nversion: 1.0.0\nscope: { type: GLOBAL, target: demo }\nentry_points:\n  frontend: { component: Panel.vue }\n" },
    };

    [Theory]
    [MemberData(nameof(YamlCases))]
    public void Yaml_problems_are_reported_at_their_place_in_the_yaml(string id, string marked)
    {
        var (yaml, span) = DiagnosticTests.Unmark(marked);
        var manifest = Yaml(yaml, "/plugins/a/1.0.0/manifest.yaml");
        var (result, _) = GeneratorHarness.Run([manifest]);

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(manifest.Path, diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        Assert.Equal(SourceText.From(yaml).Lines.GetLinePositionSpan(span), diagnostic.Location.GetLineSpan().Span);
        if (id == "VYRA013" && yaml.Contains('&')) Assert.Contains("unsupported YAML", diagnostic.GetMessage());
    }

    [Fact]
    public void Line_and_column_are_those_of_the_yaml_file()
    {
        var yaml = Counter.Replace("type: i32\n", "type: int\n");
        var (result, _) = GeneratorHarness.Run([Yaml(yaml)]);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("VYRA004", diagnostic.Id);
        var lines = yaml.Split('\n');
        var line = Array.FindIndex(lines, l => l.Contains("type: int"));
        Assert.Equal((line, lines[line].IndexOf("int", StringComparison.Ordinal)), (diagnostic.Location.GetLineSpan().StartLinePosition.Line, diagnostic.Location.GetLineSpan().StartLinePosition.Character));
    }

    [Theory]
    [InlineData("yaml-upstream")]
    [InlineData("yaml-counter")]
    public void The_generator_reads_a_manifest_yaml_as_the_kernel_does(string scenario)
    {
        var manifest = GoldenFileTests.Inputs(scenario).Manifests.Single();
        var kernel = Kernel::Vyra.Sdk.ManifestReader.Parse(manifest.GetText()!.ToString(), "manifest.yaml");
        var (result, output) = GeneratorHarness.Run([manifest]);
        Assert.Empty(result.Diagnostics);

        var proxy = output.GetTypeByMetadataName($"Sample.App.Plugins.{Naming.Identifiers.ToPascalCase(kernel.Id)}Plugin");
        Assert.NotNull(proxy);
        foreach (var export in kernel.Exports!)
        {
            var method = proxy!.GetMembers(Naming.Identifiers.ToPascalCase(export.Name)).OfType<IMethodSymbol>().Single();
            Assert.Equal(export.Args!.Select(a => Clr(a.Type)), method.Parameters.Select(p => p.Type.ToDisplayString()));
        }
        var state = output.GetTypeByMetadataName($"Sample.App.Plugins.{Naming.Identifiers.ToPascalCase(kernel.Id)}State")!;
        Assert.Equal(kernel.InitialState.Select(s => Naming.Identifiers.ToPascalCase(s.Key)), state.GetMembers().OfType<IPropertySymbol>().Where(p => p.Name != "EqualityContract").Select(p => p.Name));
    }

    private static string Clr(Kernel::Vyra.Sdk.PluginValueType type) => type switch
    {
        Kernel::Vyra.Sdk.PluginValueType.I32 => "int",
        Kernel::Vyra.Sdk.PluginValueType.I64 => "long",
        Kernel::Vyra.Sdk.PluginValueType.F32 => "float",
        Kernel::Vyra.Sdk.PluginValueType.F64 => "double",
        _ => Kernel::Vyra.Sdk.PluginValueTypes.ToManifestName(type),
    };

    [Fact]
    public void Yaml_scalars_follow_the_core_schema_as_the_kernel_types_them()
    {
        const string yaml = """
            id: typed
            name: Typed
            version: 1.0.0
            scope: { type: MODULE, target: demo }
            initial_state:
              quoted_number: { default: "12" }
              plain_number: { default: 12 }
              signed: { default: +7 }
              half: { default: .5 }
              big: { default: 5000000000 }
              flag: { default: True }
              nothing: { type: string, default: ~ }
              literal:
                default: |
                  line one
                  line two
              folded:
                default: >-
                  one
                  two

                  three
              escaped: { default: "tab\there \u00e9" }
              single: { default: 'it''s' }
            entry_points: { backend: {} }
            """;
        var (result, output) = GeneratorHarness.Run([Yaml(yaml, "/p/typed/manifest.yaml")]);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(GeneratorHarness.Problems(output).Select(d => d.ToString()));
        var source = result.GeneratedSources.Single().SourceText.ToString();
        Assert.Contains("public string QuotedNumber { get; init; } = \"12\";", source);
        Assert.Contains("public int PlainNumber { get; init; } = 12;", source);
        Assert.Contains("public int Signed { get; init; } = 7;", source);
        Assert.Contains("public double Half { get; init; } = 0.5d;", source);
        Assert.Contains("public long Big { get; init; } = 5000000000L;", source);
        Assert.Contains("public bool Flag { get; init; } = true;", source);
        Assert.Contains("public string Nothing { get; init; } = \"\";", source);
        Assert.Contains("public string Literal { get; init; } = \"line one\\nline two\\n\";", source);
        Assert.Contains("public string Folded { get; init; } = \"one two\\nthree\";", source);
        Assert.Contains("public string Escaped { get; init; } = \"tab\\there é\";", source);
        Assert.Contains("public string Single { get; init; } = \"it's\";", source);

        var kernel = Kernel::Vyra.Sdk.ManifestReader.Parse(yaml, "manifest.yaml");
        Assert.Equal("line one\nline two\n", kernel.InitialState.Single(s => s.Key == "literal").Default!.Value.GetString());
        Assert.Equal("one two\nthree", kernel.InitialState.Single(s => s.Key == "folded").Default!.Value.GetString());
        Assert.Equal(5000000000L, kernel.InitialState.Single(s => s.Key == "big").Default!.Value.GetInt64());
    }

    [Fact]
    public void A_folder_with_both_files_is_generated_from_manifest_yaml_only()
    {
        var json = Repo.SampleManifest(Repo.Path("samples", "plugins", "counter-widget", "1.0.0", "metadata.json"));
        var yaml = Yaml(Counter.Replace("description: \"A simple counter whose state lives in a wasm global. Classic VYRA plugin: i32 in, i32 out.\"", "description: From YAML."),
            json.Path.Replace("metadata.json", "manifest.yaml"));
        var (result, output) = GeneratorHarness.Run([json, yaml]);

        Assert.Empty(result.Diagnostics); // no VYRA011: the metadata.json does not compete for the class
        Assert.Empty(GeneratorHarness.Problems(output).Select(d => d.ToString()));
        var source = Assert.Single(result.GeneratedSources).SourceText.ToString();
        Assert.Contains("from the manifest.yaml of plugin 'counter-widget'", source);
        Assert.Contains("From YAML.", source);
    }

    [Theory]
    [InlineData("args: [{ name: step, type: i32 }]", "args: [{ name: step, type: ⟦i64⟧ }]", "export 'increment' has different argument types (i64 against i32)")]
    [InlineData("      - name: reset\n", "      - name: ⟦rest⟧\n", "export 'rest' is only in manifest.yaml")]
    public void Both_files_that_disagree_on_exports_are_an_error_at_the_yaml_export(string from, string to, string message)
    {
        var json = Repo.SampleManifest(Repo.Path("samples", "plugins", "counter-widget", "1.0.0", "metadata.json"));
        Assert.Contains(from, Counter);
        var (text, markedSpan) = DiagnosticTests.Unmark(Counter.Replace(from, to));
        var yaml = Yaml(text, json.Path.Replace("metadata.json", "manifest.yaml"));
        var (result, _) = GeneratorHarness.Run([json, yaml]);

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("VYRA015", diagnostic.Id);
        Assert.Contains(message, diagnostic.GetMessage());
        Assert.Equal(yaml.Path, diagnostic.Location.GetLineSpan().Path);
        // The argument case points at the export's name; the extra-export case at the name itself.
        var nameLine = SourceText.From(text).Lines.GetLinePosition(markedSpan.Start).Line;
        Assert.InRange(diagnostic.Location.GetLineSpan().StartLinePosition.Line, nameLine - 3, nameLine);
    }

    [Fact]
    public void Editing_one_yaml_reruns_only_that_plugin()
    {
        var a = Yaml(Counter);
        var b = Repo.SampleManifest(Repo.Path("samples", "plugins", "yaml-counter", "1.0.0", "manifest.yaml"));
        var c = Repo.SampleManifest(Repo.Path("samples", "plugins", "math-kit", "1.0.0", "metadata.json"));
        var driver = GeneratorHarness.Driver([a, b, c]).RunGenerators(GeneratorHarness.Compilation());

        var edited = new InMemoryAdditionalText(a.Path, Counter.Replace("Add step to the counter", "Add a step to the counter"));
        var result = driver.ReplaceAdditionalText(a, edited).RunGenerators(GeneratorHarness.Compilation()).GetRunResult().Results.Single();

        foreach (var other in new[] { b.Path, c.Path })
        {
            Assert.Equal(IncrementalStepRunReason.Cached, ReasonFor(result, TrackingNames.ParsedManifests, other));
            Assert.Equal(IncrementalStepRunReason.Cached, ReasonFor(result, TrackingNames.PluginSpecs, other));
        }
        Assert.Equal(IncrementalStepRunReason.Modified, ReasonFor(result, TrackingNames.PluginSpecs, a.Path));
        Assert.All(Outputs(result, TrackingNames.YamlFolders), o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        var sources = Outputs(result, TrackingNames.ProxySources);
        Assert.Equal(2, sources.Count(o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
        Assert.Contains(sources, o => o.Value is Model.GeneratedFile f && f.Text.Contains("Add a step") && o.Reason == IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void A_comment_or_layout_edit_in_yaml_leaves_the_proxy_cached()
    {
        var a = Yaml(Counter);
        var driver = GeneratorHarness.Driver([a]).RunGenerators(GeneratorHarness.Compilation());
        var changed = "# a new comment\n" + Counter.Replace("args: [{ name: step, type: i32 }]", "args:\n                  - name: step   # the step\n                    type: i32");
        var result = driver.ReplaceAdditionalText(a, new InMemoryAdditionalText(a.Path, changed)).RunGenerators(GeneratorHarness.Compilation()).GetRunResult().Results.Single();

        Assert.Equal(IncrementalStepRunReason.Modified, ReasonFor(result, TrackingNames.ParsedManifests, a.Path));
        Assert.Equal(IncrementalStepRunReason.Unchanged, ReasonFor(result, TrackingNames.PluginSpecs, a.Path));
        Assert.All(Outputs(result, TrackingNames.ProxySources), o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
    }

    private static IReadOnlyList<(object Value, IncrementalStepRunReason Reason)> Outputs(GeneratorRunResult result, string step) =>
        result.TrackedSteps.TryGetValue(step, out var runs) ? [.. runs.SelectMany(r => r.Outputs)] : [];

    private static IncrementalStepRunReason ReasonFor(GeneratorRunResult result, string step, string path) =>
        Outputs(result, step).Single(o => o.Value switch
        {
            Model.ManifestParseResult parsed => parsed.FilePath == path,
            Model.PluginSpec spec => spec.FilePath == path,
            _ => false,
        }).Reason;
}
