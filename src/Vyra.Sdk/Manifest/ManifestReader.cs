using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Vyra.Sdk.Contract;

namespace Vyra.Sdk;

/// <summary>
/// Reads a plugin's manifest — upstream's <c>manifest.yaml</c> or VYRA's older <c>metadata.json</c> — through the one
/// manifest contract the generator compiles too (docs/manifest.md), so the runtime and the build accept and refuse the
/// same files with the same messages. Every refusal is a <see cref="PluginLoadException"/> naming the file, the line
/// and column, and the field. Files are read bounded (<see cref="BoundedFile"/>): regular files of at most 1 MiB.
/// </summary>
public static class ManifestReader
{
    /// <summary>VYRA's older manifest file name.</summary>
    public const string FileName = ManifestContract.JsonFileName;

    /// <summary>Upstream's current manifest file name.</summary>
    public const string YamlFileName = ManifestContract.YamlFileName;

    /// <summary>The largest manifest file read, in bytes.</summary>
    public const int MaxBytes = ManifestContract.MaxBytes;

    // Fields the model carries itself; every other top-level field is kept in Extra as written.
    private static readonly HashSet<string> ModelledFields = new(StringComparer.Ordinal)
    {
        "id", "version", "name", "description", "exports", "imports", "initial_state", "events", "entry_points", "component",
    };

    /// <summary>
    /// Reads the manifest of a plugin folder: upstream's <c>manifest.yaml</c> when present, else <c>metadata.json</c>;
    /// null when the folder has neither. When both exist they must declare the same exports.
    /// </summary>
    public static PluginManifest? ReadFolder(string directory) => ReadFolder(directory, verified: null);

    /// <summary>
    /// <see cref="ReadFolder(string)"/>, or, with <paramref name="verified"/> (a signature check's manifest bytes by file
    /// name), the manifest those bytes make: neither the folder nor the cache is read again, so a file changed after the
    /// check, or a cached manifest whose file has the same length and time stamp, cannot stand in for what was signed.
    /// </summary>
    internal static PluginManifest? ReadFolder(string directory, IReadOnlyDictionary<string, byte[]>? verified)
    {
        var yamlPath = Path.Combine(directory, YamlFileName);
        var jsonPath = Path.Combine(directory, FileName);
        var stamps = verified is null ? (FileStamp.Of(yamlPath), FileStamp.Of(jsonPath)) : default;
        if (verified is null && FolderCache.TryGet(directory, stamps) is { } cached) return cached;
        var yaml = ReadOne(yamlPath, YamlFileName, verified);
        var json = ReadOne(jsonPath, FileName, verified);
        if (yaml is { } y && json is { } j)
        {
            if (ManifestAgreement.IdentityDisagreement(y.Model.Id, y.Model.Version, j.Model.Id, j.Model.Version) is { } identity)
            {
                throw new PluginLoadException($"{yamlPath} and {jsonPath} disagree: {identity}", yamlPath, field: "$.id");
            }
            if (ManifestAgreement.Disagreement(ManifestAgreement.Signatures(y.Model), ManifestAgreement.Signatures(j.Model)) is { } problem)
            {
                throw new PluginLoadException($"{yamlPath} and {jsonPath} disagree: {problem.Message}", problem.InYaml ? yamlPath : jsonPath);
            }
        }
        var manifest = (yaml ?? json)?.Manifest;
        if (manifest is not null && verified is null) FolderCache.Add(directory, stamps, manifest, Math.Max(stamps.Item1.Length, stamps.Item2.Length));
        return manifest;
    }

    private static (PluginManifest Manifest, ManifestModel Model)? ReadOne(string path, string name, IReadOnlyDictionary<string, byte[]>? verified)
    {
        if (verified is not null) return verified.TryGetValue(name, out var bytes) ? ParseModel(Decode(bytes, path), path) : null;
        return File.Exists(path) || Directory.Exists(path) ? Read(path) : null;
    }

    /// <summary>Reads and checks one manifest file (its format by name: <c>manifest.yaml</c> is YAML, else JSON).</summary>
    public static PluginManifest ReadFile(string path) => Read(path).Manifest;

    /// <summary>Parses and checks manifest bytes; <paramref name="sourcePath"/> names the file in messages and decides the format.</summary>
    public static PluginManifest Parse(ReadOnlySpan<byte> utf8, string sourcePath = FileName) => ParseModel(Decode(utf8, sourcePath), sourcePath).Manifest;

    /// <summary>Parses and checks manifest text; <paramref name="sourcePath"/> names the file in messages and decides the format.</summary>
    public static PluginManifest Parse(string text, string sourcePath = FileName) => ParseModel(text, sourcePath).Manifest;

    private static (PluginManifest Manifest, ManifestModel Model) Read(string path)
    {
        var bytes = BoundedFile.Read(path, MaxBytes, "manifest");
        return ParseModel(Decode(bytes, path), path);
    }

    private static (PluginManifest Manifest, ManifestModel Model) ParseModel(string text, string sourcePath)
    {
        var result = ManifestContract.Read(text, sourcePath);
        var lines = new LineIndex(text);
        if (result.FirstError is { } error) throw Refusal(lines, sourcePath, error);
        var model = result.Model!;
        var warnings = new List<string>();
        // Kept and logged at every start: a manifest with thousands of warnings must not flood the log.
        const int maxWarnings = 20;
        foreach (var problem in result.Problems.Take(maxWarnings)) warnings.Add(Located(lines, sourcePath, problem));
        if (result.Problems.Count > maxWarnings) warnings.Add($"{sourcePath}: {result.Problems.Count - maxWarnings} more warnings");
        return (ToManifest(model, sourcePath, warnings), model);
    }

    private static string Decode(ReadOnlySpan<byte> bytes, string sourcePath)
    {
        if (bytes.Length > MaxBytes) throw new PluginLoadException($"{sourcePath}: {ManifestContract.TooLargeMessage(bytes.Length)}", sourcePath);
        try
        {
            // A byte order mark is no part of the text (the compiler drops it too, so columns agree with the generator's).
            if (bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            var offset = Math.Max(0, ex.Index);
            var line = 1 + bytes[..Math.Min(offset, bytes.Length)].Count((byte)'\n');
            throw new PluginLoadException($"{sourcePath}({line}): the manifest is not valid UTF-8 (byte offset {offset})", sourcePath, line, innerException: ex);
        }
    }

    private static PluginLoadException Refusal(LineIndex lines, string sourcePath, ManifestProblem problem)
    {
        var position = lines.PositionOf(problem.Span.Start);
        return new PluginLoadException(Located(lines, sourcePath, problem), sourcePath, position.Line, problem.Field);
    }

    /// <summary><c>file(line,column): message [field $.path]</c> — the one way a manifest problem is told.</summary>
    private static string Located(LineIndex lines, string sourcePath, ManifestProblem problem)
    {
        var position = lines.PositionOf(problem.Span.Start);
        return $"{sourcePath}({position.Line},{position.Column}): {problem.Message} [field {problem.Field}]";
    }

    private static PluginManifest ToManifest(ManifestModel model, string sourcePath, List<string> warnings)
    {
        var extra = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in model.Root.Properties!)
        {
            if (!ModelledFields.Contains(property.Name) && !extra.ContainsKey(property.Name)) extra[property.Name] = ToJson(property.Value);
        }
        return new PluginManifest
        {
            Id = model.Id,
            Version = model.Version,
            Name = model.Name,
            Description = model.Description,
            Exports = model.Exports?.ConvertAll(e => new ExportDeclaration(e.Name, e.Args?.ConvertAll(ToArg), e.Returns, e.Description)),
            Imports = model.Imports?.ConvertAll(i => new ImportDeclaration(i.Name, i.Args?.ConvertAll(ToArg), i.Returns)),
            InitialState = model.InitialState?.ConvertAll(s => new StateEntry(s.Key, s.Type, s.Default is null ? null : ToJson(s.Default))) ?? [],
            Events = model.Events,
            Limits = new RuntimeLimits(model.Limits.MemoryMb, model.Limits.TimeoutMs, model.Limits.Fuel is { } fuel ? (ulong)fuel : null, model.Limits.CpuShares),
            Scope = model.Scope is { } scope ? new PluginScope(scope.Type, scope.Target, scope.OwnerModule) : null,
            Permissions = model.Permissions is { } p
                ? new PluginPermissions(p.Interfaces.ConvertAll(g => new InterfacePermission(g.Transport, g.ModuleName, g.ModuleId)), p.Network, p.Storage, p.ZenohScopes)
                : null,
            ServiceExports = model.ServiceExports?.ConvertAll(s => new ServiceExportDeclaration(s.Name, s.Service, s.Method, s.Passthrough, s.Kwargs is null ? null : ToJson(s.Kwargs))),
            Checksum = model.Checksum,
            Hash = model.Hash,
            Category = model.Category,
            Tags = model.Tags ?? [],
            Priority = model.Priority,
            Status = model.Status,
            LoadStrategy = model.LoadLazily ? PluginLoadStrategy.Lazy : PluginLoadStrategy.Eager,
            HasBackend = model.HasBackend,
            Warnings = warnings,
            Extra = extra,
            EntryPoints = model.Root["entry_points"] is { IsNull: false } entryPoints ? ToJson(entryPoints) : null,
            SourcePath = sourcePath,
            Component = model.Component is { } c ? new ComponentDeclaration(c.World, c.Wit) : null,
        };
    }

    /// <summary>How many folders the manifest cache holds (tests check that it stays bounded).</summary>
    internal static int CachedFolderCount => FolderCache.Count;

    private static ArgDeclaration ToArg(ArgModel arg) => new(arg.Name, arg.Type);

    // Values nothing here interprets keep their JSON text; numbers stay as written (400 digits, 1e999), never parsed.
    private static JsonElement ToJson(ManifestNode node)
    {
        using var document = JsonDocument.Parse(ManifestNodeText.Write(node), new JsonDocumentOptions { MaxDepth = 256 });
        return document.RootElement.Clone();
    }

    /// <summary>
    /// Manifests are immutable: one parse serves every start while the files are unchanged. Bounded, so a host that
    /// scans many pools does not keep every manifest it ever read: small manifests only, a few hundred folders at most,
    /// and a full cache simply starts over.
    /// </summary>
    private static class FolderCache
    {
        private const int MaxEntries = 256;
        private const long MaxManifestBytes = 64 * 1024;
        private static readonly ConcurrentDictionary<string, ((FileStamp, FileStamp) Stamps, PluginManifest Manifest)> Entries = new(StringComparer.Ordinal);

        public static int Count => Entries.Count;

        public static PluginManifest? TryGet(string directory, (FileStamp, FileStamp) stamps) =>
            Entries.TryGetValue(directory, out var entry) && entry.Stamps == stamps ? entry.Manifest : null;

        public static void Add(string directory, (FileStamp, FileStamp) stamps, PluginManifest manifest, long size)
        {
            if (size > MaxManifestBytes) return;
            if (Entries.Count >= MaxEntries) Entries.Clear();
            Entries[directory] = (stamps, manifest);
        }
    }
}
