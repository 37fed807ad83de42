extern alias Kernel;
using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Vyra.Sdk.Generators.Tests;

/// <summary>An in-memory <c>AdditionalFiles</c> item.</summary>
internal sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
{
    private readonly SourceText _text = SourceText.From(text, Encoding.UTF8);

    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}

/// <summary>MSBuild options as the compiler sees them: global properties and per-file item metadata.</summary>
internal sealed class TestOptionsProvider(IReadOnlyDictionary<string, string> global, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? perFile = null)
    : AnalyzerConfigOptionsProvider
{
    public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(global);

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) =>
        perFile is not null && perFile.TryGetValue(textFile.Path, out var values) ? new Options(values) : Options.Empty;

    private sealed class Options(IReadOnlyDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public static readonly Options Empty = new(new Dictionary<string, string>());

        public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
    }
}

/// <summary>Builds compilations and drivers around <see cref="VyraGenerator"/>.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static readonly IReadOnlyDictionary<string, string> DefaultOptions = new Dictionary<string, string>
    {
        ["build_property.RootNamespace"] = "Sample.App",
        // Sample manifests are seen under /repo/samples/plugins/...: their proxies get the path-less Create.
        ["build_property.ProjectDir"] = "/repo/samples/",
    };

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        // The running test's own framework (net10.0) plus the kernel and its dependencies.
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToList();
        paths.Add(typeof(Kernel::Vyra.Sdk.PluginRuntime).Assembly.Location);
        paths.Add(typeof(Wasmtime.Engine).Assembly.Location);
        paths.Add(typeof(Microsoft.Extensions.Logging.ILogger).Assembly.Location);
        return [.. paths.Distinct(StringComparer.Ordinal).Where(File.Exists).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    });

    public static CSharpCompilation Compilation(params string[] sources) => CSharpCompilation.Create(
        "Sample.App",
        sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
        References.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
            // As the .NET SDK does (NoWarn 1701;1702): reference-version unification notes are not problems.
            .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress }));

    public static GeneratorDriver Driver(
        IEnumerable<AdditionalText> manifests,
        IReadOnlyDictionary<string, string>? options = null,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? perFile = null) =>
        CSharpGeneratorDriver.Create(
            [new VyraGenerator().AsSourceGenerator()],
            manifests,
            ParseOptions,
            new TestOptionsProvider(options ?? DefaultOptions, perFile),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator once; returns the result and the compilation with the generated code.</summary>
    public static (GeneratorRunResult Result, Compilation Output) Run(
        IEnumerable<AdditionalText> manifests,
        string[]? sources = null,
        IReadOnlyDictionary<string, string>? options = null,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? perFile = null)
    {
        var driver = Driver(manifests, options, perFile).RunGeneratorsAndUpdateCompilation(Compilation(sources ?? []), out var output, out _);
        return (driver.GetRunResult().Results.Single(), output);
    }

    /// <summary>Warnings and errors of a compilation (generated code included).</summary>
    public static IReadOnlyList<Diagnostic> Problems(Compilation compilation) =>
        [.. compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning)];

    public static AdditionalText Manifest(string id, string json, string version = "1.0.0") =>
        new InMemoryAdditionalText($"/plugins/{id}/{version}/metadata.json", json);
}

/// <summary>Finds files of this repository (sample manifests, baselines) from the test's output folder.</summary>
internal static class Repo
{
    public static readonly string Root = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>Every sample plugin's manifest: metadata.json, or manifest.yaml for plugins in upstream's format.</summary>
    public static IEnumerable<string> SampleManifests() =>
        Directory.GetFiles(Path("samples", "plugins"), "metadata.json", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(Path("samples", "plugins"), "manifest.yaml", SearchOption.AllDirectories))
            .OrderBy(p => p, StringComparer.Ordinal);

    /// <summary>A sample manifest as the generator would see it, under a machine-independent path.</summary>
    public static AdditionalText SampleManifest(string file)
    {
        var relative = System.IO.Path.GetRelativePath(Root, file).Replace('\\', '/');
        return new InMemoryAdditionalText("/repo/" + relative, File.ReadAllText(file));
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Vyra.Sdk.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Vyra.Sdk.sln not found above " + AppContext.BaseDirectory);
    }
}
