using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Vyra.Sdk.Generators;

namespace Vyra.Sdk.Benchmarks;

/// <summary>
/// Case 7: the generator over 200 manifests — a driver's first run (cold: nothing cached; the JIT is warm, the
/// process-cold first run is printed at setup), and a second run after one manifest was edited. Setup checks with the
/// tracked steps that the edit re-emits exactly one proxy. Target: &lt; 1 s cold; the edit re-emits only that plugin.
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private const int Plugins = 200;
    private const int Edited = 123;
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);
    private ImmutableArray<AdditionalText> _manifests;
    private AdditionalText _edited = null!;
    private Compilation _compilation = null!;
    private GeneratorDriver _fresh = null!;
    private GeneratorDriver _warm = null!;

    [GlobalSetup]
    public void Setup()
    {
        _manifests = [.. Enumerable.Range(0, Plugins).Select(i => (AdditionalText)new ManifestText(i, "An export"))];
        _edited = new ManifestText(Edited, "An edited export");
        _compilation = CSharpCompilation.Create("Bench.App",
            [CSharpSyntaxTree.ParseText("namespace Bench.App { public static class Marker { } }", ParseOptions)],
            [MetadataReference.CreateFromFile(typeof(object).Assembly.Location)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        _fresh = CSharpGeneratorDriver.Create(
            [new VyraGenerator().AsSourceGenerator()], _manifests, ParseOptions, new Options(),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

        var watch = Stopwatch.StartNew();
        _warm = _fresh.RunGenerators(_compilation);
        var first = watch.Elapsed;
        var generated = _warm.GetRunResult().Results[0].GeneratedSources.Length;
        if (generated != Plugins) throw new InvalidOperationException($"expected {Plugins} proxies, got {generated} sources");

        watch.Restart();
        var after = _warm.ReplaceAdditionalText(_manifests[Edited], _edited).RunGenerators(_compilation);
        var second = watch.Elapsed;
        var steps = after.GetRunResult().Results[0].TrackedSteps[TrackingNames.ProxySources];
        var reasons = steps.SelectMany(step => step.Outputs).GroupBy(output => output.Reason)
            .ToDictionary(group => group.Key, group => group.Count());
        var reemitted = reasons.GetValueOrDefault(IncrementalStepRunReason.New) + reasons.GetValueOrDefault(IncrementalStepRunReason.Modified);
        Console.WriteLine($"// generator: {Plugins} manifests, process-cold first run {first.TotalMilliseconds:F0} ms; "
            + $"one manifest edited: {second.TotalMilliseconds:F1} ms, {TrackingNames.ProxySources} outputs "
            + string.Join(", ", reasons.OrderBy(r => r.Key).Select(r => $"{r.Key}={r.Value}")));
        if (reemitted != 1) throw new InvalidOperationException($"editing one manifest re-emitted {reemitted} proxies, expected 1");
    }

    [Benchmark(Baseline = true, Description = "200 manifests, cold driver")]
    public GeneratorDriver Cold() => _fresh.RunGenerators(_compilation);

    [Benchmark(Description = "200 manifests, one edited (warm driver)")]
    public GeneratorDriver EditOne() => _warm.ReplaceAdditionalText(_manifests[Edited], _edited).RunGenerators(_compilation);

    /// <summary>A VYRA-style manifest with every kind of value: scalars, memory values, multi-value, initial state.</summary>
    private sealed class ManifestText(int index, string description) : AdditionalText
    {
        private readonly SourceText _text = SourceText.From($$"""
            {
              "id": "plugin-{{index:D3}}",
              "version": "1.0.{{index % 7}}",
              "name": "Plugin {{index}}",
              "description": "Generated manifest number {{index}} for the generator benchmark.",
              "exports": [
                { "name": "init", "args": [{ "name": "start", "type": "i32" }] },
                { "name": "increment", "description": "{{description}}", "args": [{ "name": "step", "type": "i32" }], "returns": "i32" },
                { "name": "scale", "args": [{ "name": "x", "type": "f64" }, { "name": "factor", "type": "f32" }], "returns": "f64" },
                { "name": "upper", "args": [{ "name": "text", "type": "string" }], "returns": "string" },
                { "name": "digest", "args": [{ "name": "data", "type": "bytes" }], "returns": "bytes" },
                { "name": "describe", "args": [{ "name": "doc", "type": "json" }], "returns": "json" },
                { "name": "divmod", "args": [{ "name": "a", "type": "i64" }, { "name": "b", "type": "i64" }], "returns": ["i64", "i64"] },
                { "name": "toggle", "args": [{ "name": "on", "type": "bool" }], "returns": "void" }
              ],
              "initial_state": { "start": { "type": "i32", "default": {{index}} }, "label": { "type": "string", "default": "p{{index}}" } },
              "entry_points": { "backend": { "runtime_limits": { "memory_mb": 16, "timeout_ms": 1000 } } },
              "permissions": { "interfaces": [], "network": false, "storage": false, "zenoh_scopes": [] },
              "ui": { "slots": [{ "slot": "sidebar", "component": "Plugin{{index}}" }] }
            }
            """, Encoding.UTF8);

        public override string Path { get; } = $"plugins/plugin-{index:D3}/1.0.0/metadata.json";

        public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
    }

    /// <summary>The MSBuild view the generator reads: only a root namespace.</summary>
    private sealed class Options : AnalyzerConfigOptionsProvider
    {
        private static readonly Values Global = new(new Dictionary<string, string> { ["build_property.RootNamespace"] = "Bench.App" });
        private static readonly Values None = new(new Dictionary<string, string>());

        public override AnalyzerConfigOptions GlobalOptions => Global;

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => None;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => None;

        private sealed class Values(Dictionary<string, string> values) : AnalyzerConfigOptions
        {
            public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
        }
    }
}
