using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Vyra.Sdk.Contract;
using Vyra.Sdk.Generators.Diagnostics;
using Vyra.Sdk.Generators.Emit;
using Vyra.Sdk.Generators.Model;
using Vyra.Sdk.Generators.Naming;
using Vyra.Sdk.Generators.Parsing;
using Vyra.Sdk.Generators.Wit;

namespace Vyra.Sdk.Generators;

/// <summary>
/// Typed plugin proxies from each <c>metadata.json</c> or upstream <c>manifest.yaml</c> (AdditionalFiles; a folder with
/// both is generated from <c>manifest.yaml</c>, as the kernel reads it) and wasm import bindings for
/// <c>partial</c> <c>[VyraHost]</c> <c>BaseHostFunctions</c> subclasses. Pipeline: input → pure parse into equatable models → emit.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class VyraGenerator : IIncrementalGenerator
{
    /// <summary>The manifest file name the generator picks up.</summary>
    public const string ManifestFileName = "metadata.json";

    /// <summary>Upstream VYRA's manifest file name, also picked up.</summary>
    public const string YamlManifestFileName = ManifestParser.YamlFileName;

    /// <summary>MSBuild property: the namespace of generated proxies (default <c>$(RootNamespace).Plugins</c>).</summary>
    public const string NamespaceProperty = "build_property.VyraPluginNamespace";

    /// <summary>MSBuild property (made visible by the package's props): the project folder, to which manifest paths are relative.</summary>
    public const string ProjectDirProperty = "build_property.ProjectDir";

    /// <summary>MSBuild item metadata on an AdditionalFiles item: the proxy class name for that manifest.</summary>
    public const string ClassNameMetadata = "build_metadata.AdditionalFiles.VyraClassName";

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var files = context.AdditionalTextsProvider
            .Where(static text => string.Equals(Path.GetFileName(text.Path), ManifestFileName, StringComparison.OrdinalIgnoreCase)
                || ManifestParser.IsYaml(text.Path))
            .WithTrackingName(TrackingNames.ManifestFiles);

        // Folders that have a manifest.yaml: their metadata.json is still checked but gets no proxy of its own.
        var yamlFolders = files
            .Where(static text => ManifestParser.IsYaml(text.Path))
            .Select(static (text, _) => FolderOf(text.Path))
            .Collect()
            .Select(static (folders, _) => folders.Distinct(StringComparer.Ordinal).OrderBy(f => f, StringComparer.Ordinal).ToEquatableArray())
            .WithTrackingName(TrackingNames.YamlFolders);

        var parsed = files
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Select(static (input, cancellationToken) =>
            {
                var (file, options) = input;
                options.GetOptions(file).TryGetValue(ClassNameMetadata, out var className);
                SourceText? text;
                try
                {
                    text = file.GetText(cancellationToken);
                }
                catch (IOException)
                {
                    text = null;
                }
                try
                {
                    return ManifestParser.Parse(file.Path, text, className?.Trim(), cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A bug of ours must be visible at the manifest, never a silently missing proxy.
                    var failure = DiagnosticInfo.Create(VyraDiagnostics.GeneratorFailure, new LocationInfo(file.Path, default, default), file.Path, ex.GetType().Name + ": " + ex.Message);
                    return new ManifestParseResult(file.Path, null, null, new[] { failure }.ToEquatableArray(), EquatableArray<ExportShape>.Empty);
                }
            })
            .WithTrackingName(TrackingNames.ParsedManifests);

        var specs = parsed
            .Combine(yamlFolders)
            .Select(static (input, _) =>
            {
                var (result, folders) = input;
                if (result.Spec is { } spec && !ManifestParser.IsYaml(spec.FilePath) && folders.Contains(FolderOf(spec.FilePath))) return null;
                return result.Spec;
            })
            .WithTrackingName(TrackingNames.PluginSpecs);

        var winners = specs
            .Select(static (spec, _) => spec is null ? null : new ClassClaim(spec.ClassName, spec.FilePath, spec.Version))
            .Collect()
            .Select(static (claims, _) => PickWinners(claims))
            .WithTrackingName(TrackingNames.ClassWinners);

        var options = context.AnalyzerConfigOptionsProvider
            .Select(static (provider, _) => ReadOptions(provider.GlobalOptions))
            .WithTrackingName(TrackingNames.Options);

        var sources = specs
            .Combine(winners)
            .Combine(options)
            .Select(static (input, _) =>
            {
                var ((spec, contested), generatorOptions) = input;
                if (spec is null) return null;
                if (contested.WinnerFor(spec.ClassName) is { } winner && winner.FilePath != spec.FilePath) return null;
                try
                {
                    return ProxyEmitter.Emit(spec, generatorOptions);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    return new GeneratedFile("VyraPlugin." + spec.ClassName + ".g.cs", $"#error Vyra generator failed on plugin '{spec.Id}': {ex.GetType().Name}: {ex.Message.Replace('\n', ' ')}\n");
                }
            })
            .WithTrackingName(TrackingNames.ProxySources);

        var diagnostics = parsed
            .Combine(winners)
            .Select(static (input, _) => WithCollisions(input.Left, input.Right))
            .WithTrackingName(TrackingNames.ManifestDiagnostics);

        // The kernel refuses a folder whose manifest.yaml and metadata.json disagree on exports: say so at build time.
        var disagreements = parsed
            .Select(static (result, _) => new ManifestShapes(result.FilePath, ManifestParser.IsYaml(result.FilePath), result.Spec is not null, result.Shapes, result.Spec?.Id, result.Spec?.Version, result.IdLocation))
            .Collect()
            .Select(static (all, _) => Disagreements(all))
            .WithTrackingName(TrackingNames.ManifestAgreement);
        context.RegisterSourceOutput(disagreements, static (spc, list) =>
        {
            foreach (var diagnostic in list) spc.ReportDiagnostic(diagnostic.ToDiagnostic());
        });

        context.RegisterSourceOutput(sources, static (spc, file) =>
        {
            if (file is not null) spc.AddSource(file.HintName, file.Text);
        });
        context.RegisterSourceOutput(diagnostics, static (spc, list) =>
        {
            foreach (var diagnostic in list) spc.ReportDiagnostic(diagnostic.ToDiagnostic());
        });
        // Host classes carry [VyraHost]: the compiler's attribute index finds them, so no class is inspected without it.
        var hosts = context.SyntaxProvider
            .ForAttributeWithMetadataName(HostClassParser.HostAttributeName, HostClassParser.IsClass, HostClassParser.Parse)
            .Where(static host => host is not null)
            .WithTrackingName(TrackingNames.HostClasses);

        var unmarked = context.SyntaxProvider
            .ForAttributeWithMetadataName(HostClassParser.ImportAttributeName, HostClassParser.IsMethod, HostClassParser.CheckImportOutsideHost)
            .Where(static diagnostic => diagnostic is not null)
            .WithTrackingName(TrackingNames.UnmarkedImports);
        context.RegisterSourceOutput(unmarked, static (spc, diagnostic) => spc.ReportDiagnostic(diagnostic!.ToDiagnostic()));

        var hostSources = hosts
            .Select(static (host, _) => host!.Methods.IsEmpty ? null : HostBindingEmitter.Emit(host))
            .WithTrackingName(TrackingNames.HostSources);

        context.RegisterSourceOutput(hosts, static (spc, host) =>
        {
            foreach (var diagnostic in host!.Diagnostics) spc.ReportDiagnostic(diagnostic.ToDiagnostic());
        });
        context.RegisterSourceOutput(hostSources, static (spc, file) =>
        {
            if (file is not null) spc.AddSource(file.HintName, file.Text);
        });
        InitializeWit(context, options);
    }

    /// <summary>
    /// WIT (docs/components.md): <c>.wit</c> AdditionalFiles, grouped by folder (one package each), give types, a proxy
    /// and a host binding per world. A folder whose files did not change is a cache hit all the way down.
    /// </summary>
    private static void InitializeWit(IncrementalGeneratorInitializationContext context, IncrementalValueProvider<GeneratorOptions> options)
    {
        var witFiles = context.AdditionalTextsProvider
            .Where(static text => WitGeneration.IsWit(text.Path))
            .Select(static (text, cancellationToken) => new WitSource(text.Path, text.GetText(cancellationToken)?.ToString() ?? ""))
            .WithTrackingName(TrackingNames.WitFiles);
        var folders = witFiles
            .Collect()
            .SelectMany(static (files, _) => WitGeneration.GroupByFolder(files))
            .WithTrackingName(TrackingNames.WitFolders);
        var outputs = folders
            .Combine(options)
            .Select(static (input, cancellationToken) =>
            {
                try
                {
                    return WitGeneration.Generate(input.Left, input.Right.Namespace, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    var first = input.Left.Files.Count > 0 ? input.Left.Files[0].Path : input.Left.Folder;
                    var failure = DiagnosticInfo.Create(VyraDiagnostics.GeneratorFailure, new LocationInfo(first, default, default), first, ex.GetType().Name + ": " + ex.Message);
                    return new WitOutput(EquatableArray<GeneratedFile>.Empty, new[] { failure }.ToEquatableArray());
                }
            })
            .WithTrackingName(TrackingNames.WitOutputs);
        context.RegisterSourceOutput(outputs, static (spc, output) =>
        {
            foreach (var diagnostic in output.Diagnostics) spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            foreach (var file in output.Files) spc.AddSource(file.HintName, file.Text);
        });
    }

    private static string FolderOf(string path) => Path.GetDirectoryName(path) ?? "";

    /// <summary>For each folder with both manifests, the first export they disagree on (the kernel's comparison).</summary>
    private static EquatableArray<DiagnosticInfo> Disagreements(ImmutableArray<ManifestShapes> all)
    {
        var result = new List<DiagnosticInfo>();
        var byFolder = all.GroupBy(m => FolderOf(m.FilePath), StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var folder in byFolder)
        {
            var yaml = folder.FirstOrDefault(m => m.IsYaml);
            var json = folder.FirstOrDefault(m => !m.IsYaml);
            // A manifest that could not be read is reported on its own; comparing it would only add noise.
            if (yaml is not { Readable: true } || json is not { Readable: true }) continue;
            if (Disagreement(yaml, json) is { } problem)
            {
                result.Add(DiagnosticInfo.Create(VyraDiagnostics.ManifestsDisagree, problem.Location, YamlManifestFileName, ManifestFileName, problem.Message));
            }
        }
        return result.ToEquatableArray();
    }

    private static (string Message, LocationInfo Location)? Disagreement(ManifestShapes yaml, ManifestShapes json)
    {
        if (yaml.Id is not null && json.Id is not null && yaml.IdLocation is not null
            && ManifestAgreement.IdentityDisagreement(yaml.Id, yaml.Version, json.Id, json.Version) is { } identity)
        {
            return (identity, yaml.IdLocation);
        }
        var problem = ManifestAgreement.Disagreement(Signatures(yaml), Signatures(json));
        if (problem is null) return null;
        return (problem.Message, (problem.InYaml ? yaml : json).Exports[problem.Index].Location);
    }

    private static List<ExportSignature> Signatures(ManifestShapes shapes) =>
        shapes.Exports.Select(e => new ExportSignature(e.Name, e.Args, e.Returns)).ToList();

    private static GeneratorOptions ReadOptions(AnalyzerConfigOptions options)
    {
        var projectDir = options.TryGetValue(ProjectDirProperty, out var dir) && dir.Trim().Length > 0 ? dir.Trim() : null;
        if (options.TryGetValue(NamespaceProperty, out var ns) && IsNamespace(ns.Trim())) return new GeneratorOptions(ns.Trim(), projectDir);
        if (options.TryGetValue("build_property.RootNamespace", out var root) && IsNamespace(root.Trim())) return new GeneratorOptions(root.Trim() + ".Plugins", projectDir);
        return new GeneratorOptions("Plugins", projectDir);
    }

    private static bool IsNamespace(string name) =>
        name.Length > 0 && name.Split('.').All(part => Identifiers.IsValid(part));

    /// <summary>
    /// For every class name claimed more than once, the winner: the highest version, then the first path (ordinal),
    /// so the choice never depends on the order the compiler lists the files in.
    /// </summary>
    private static ClassWinners PickWinners(ImmutableArray<ClassClaim?> claims)
    {
        var contested = new List<ClassClaim>();
        foreach (var group in claims.Where(c => c is not null).GroupBy(c => c!.ClassName, StringComparer.Ordinal))
        {
            if (group.Count() < 2) continue;
            var winner = group
                .OrderByDescending(c => c!.Version is null ? null : SemanticVersion.TryParse(c.Version))
                .ThenBy(c => c!.FilePath, StringComparer.Ordinal)
                .First()!;
            contested.Add(winner);
        }
        contested.Sort((a, b) => string.CompareOrdinal(a.ClassName, b.ClassName));
        return contested.Count == 0 ? ClassWinners.None : new ClassWinners(contested.ToEquatableArray());
    }

    private static EquatableArray<DiagnosticInfo> WithCollisions(ManifestParseResult result, ClassWinners contested)
    {
        if (result.Spec is not { } spec || contested.WinnerFor(spec.ClassName) is not { } winner || winner.FilePath == spec.FilePath)
        {
            return result.Diagnostics;
        }
        var description = winner.Version is null ? "another manifest" : $"version {winner.Version} of a plugin";
        var collision = DiagnosticInfo.Create(VyraDiagnostics.DuplicatePluginClass, result.IdLocation, spec.Id, spec.ClassName, description);
        return result.Diagnostics.Concat(new[] { collision }).ToEquatableArray();
    }
}
