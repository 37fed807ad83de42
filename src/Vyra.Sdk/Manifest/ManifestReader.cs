using System.Text.Json;
using System.Text.RegularExpressions;

namespace Vyra.Sdk;

/// <summary>
/// Reads <c>metadata.json</c> into a <see cref="PluginManifest"/>. Accepts every VYRA spelling (object and string
/// exports, no exports, extra fields) and fails with a <see cref="PluginLoadException"/> that names the file,
/// the line and the field of the first problem.
/// </summary>
public static partial class ManifestReader
{
    /// <summary>The manifest's file name inside a plugin folder.</summary>
    public const string FileName = "metadata.json";

    /// <summary>
    /// Reads the manifest of a plugin folder: upstream's <c>manifest.yaml</c> when present, else <c>metadata.json</c>;
    /// null when the folder has neither. When both exist they must declare the same exports.
    /// </summary>
    public static PluginManifest? ReadFolder(string directory)
    {
        var yamlPath = Path.Combine(directory, YamlManifest.FileName);
        var jsonPath = Path.Combine(directory, FileName);
        var stamps = (FileStamp.Of(yamlPath), FileStamp.Of(jsonPath));
        if (FolderCache.TryGetValue(directory, out var cached) && cached.Stamps == stamps) return cached.Manifest;
        var manifest = ReadFolderUncached(yamlPath, jsonPath);
        FolderCache[directory] = (stamps, manifest);
        return manifest;
    }

    // Manifests are immutable records: one parse serves every start while the files are unchanged.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ((FileStamp, FileStamp) Stamps, PluginManifest? Manifest)> FolderCache = new(StringComparer.Ordinal);

    private static PluginManifest? ReadFolderUncached(string yamlPath, string jsonPath)
    {
        var yaml = File.Exists(yamlPath) ? YamlManifest.ReadFile(yamlPath) : null;
        var json = File.Exists(jsonPath) ? ReadFile(jsonPath) : null;
        if (yaml is not null && json is not null && ExportsDisagreement(yaml, json) is { } problem)
        {
            throw new PluginLoadException($"{yamlPath} and {jsonPath} disagree: {problem}", yamlPath);
        }
        return yaml ?? json;
    }

    private static string? ExportsDisagreement(PluginManifest yaml, PluginManifest json)
    {
        var a = yaml.Exports ?? [];
        var b = json.Exports ?? [];
        foreach (var export in a)
        {
            if (json.FindExport(export.Name) is not { } other) return $"export '{export.Name}' is only in {YamlManifest.FileName}";
            if (export.Args is not null && other.Args is not null && !export.Args.Select(x => x.Type).SequenceEqual(other.Args.Select(x => x.Type)))
                return $"export '{export.Name}' has different argument types";
            if (export.Returns is not null && other.Returns is not null && !export.Returns.SequenceEqual(other.Returns))
                return $"export '{export.Name}' has different return types";
        }
        return b.FirstOrDefault(e => yaml.FindExport(e.Name) is null) is { } only ? $"export '{only.Name}' is only in {FileName}" : null;
    }

    /// <summary>Reads and validates a manifest file.</summary>
    public static PluginManifest ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PluginLoadException($"{path}: cannot read the manifest: {ex.Message}", path, innerException: ex);
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses and validates manifest JSON; <paramref name="sourcePath"/> is used in messages.</summary>
    public static PluginManifest Parse(ReadOnlySpan<byte> utf8Json, string sourcePath = FileName) => Parse(utf8Json, sourcePath, lineOf: null, upstream: false);

    /// <summary>
    /// Parses JSON that may have come from another format: <paramref name="lineOf"/> maps a JSON path to the line of the
    /// original file (null: lines of this JSON); <paramref name="upstream"/> applies the upstream schema's stricter rules.
    /// </summary>
    internal static PluginManifest Parse(ReadOnlySpan<byte> utf8Json, string sourcePath, Func<string, int?>? lineOf, bool upstream)
    {
        // Editors on Windows like to start files with a UTF-8 byte order mark; it is not part of the JSON.
        if (utf8Json.StartsWith("\uFEFF"u8)) utf8Json = utf8Json[3..];
        var bytes = utf8Json.ToArray();
        CheckUtf8(bytes, sourcePath);
        ManifestDocument? doc;
        var syntaxChecked = false;
        try
        {
            // A reader pass first, so a syntax error is told apart from a value of the wrong shape.
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            while (reader.Read())
            {
            }
            syntaxChecked = true;
            doc = JsonSerializer.Deserialize(bytes, ManifestJsonContext.Default.ManifestDocument);
        }
        catch (JsonException ex)
        {
            var line = ex.LineNumber is { } l ? (int)l + 1 : (int?)null;
            var column = ex.BytePositionInLine is { } c ? (int)c + 1 : (int?)null;
            var where = line is null ? sourcePath : $"{sourcePath}({line},{column})";
            var field = !syntaxChecked || string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? null : ex.Path;
            var what = !syntaxChecked ? "invalid JSON" : field is null ? "the manifest must be a JSON object" : $"invalid value for '{field}'";
            throw new PluginLoadException($"{where}: {what}: {FirstSentence(ex.Message)}", sourcePath, line, field ?? "$", ex);
        }
        if (doc is null)
        {
            throw new PluginLoadException($"{sourcePath}(1,1): the manifest must be a JSON object, not null", sourcePath, 1, "$");
        }
        try
        {
            return new Builder(lineOf ?? (path => JsonLineLocator.FindLine(bytes, path)), sourcePath, upstream).Build(doc);
        }
        catch (InvalidOperationException ex)
        {
            // System.Text.Json refuses strings it cannot turn into .NET text, such as a lone "\ud800" escape.
            throw new PluginLoadException($"{sourcePath}: a string in the manifest is not valid text: {ex.Message}", sourcePath, innerException: ex);
        }
    }

    private static void CheckUtf8(byte[] bytes, string sourcePath)
    {
        var buffer = new char[Math.Min(bytes.Length, 4096)];
        var offset = 0;
        while (offset < bytes.Length)
        {
            var status = System.Text.Unicode.Utf8.ToUtf16(bytes.AsSpan(offset), buffer, out var read, out _, replaceInvalidSequences: false);
            offset += read;
            if (status is System.Buffers.OperationStatus.InvalidData or System.Buffers.OperationStatus.NeedMoreData)
            {
                var line = JsonLineLocator.LineOf(bytes, offset);
                throw new PluginLoadException($"{sourcePath}({line}): the manifest is not valid UTF-8 (byte offset {offset})", sourcePath, line);
            }
        }
    }

    // JsonException messages carry "Path: ... | LineNumber: ..." which we already format ourselves.
    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    [GeneratedRegex(@"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")]
    private static partial Regex SemverPattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex NamePattern();

    /// <summary>Turns the raw document into the model, checking each field where it stands.</summary>
    private sealed class Builder(Func<string, int?> lineOf, string sourcePath, bool upstream)
    {
        public PluginManifest Build(ManifestDocument doc)
        {
            var id = RequiredString(doc.Id, "$.id");
            if (!IdPattern().IsMatch(id))
            {
                throw Fail("$.id", $"'id' must match [a-z][a-z0-9-]* (dotted forms allowed), got \"{id}\"");
            }
            if (doc.Version is { ValueKind: JsonValueKind.Number } number)
            {
                // YAML reads an unquoted 1.2 as a number: say what is wrong with it, not just that it is no string.
                throw Fail("$.version", $"'version' must be a semantic version like 1.0.0, got {number.GetRawText()}");
            }
            var version = upstream ? RequiredString(doc.Version, "$.version") : OptionalString(doc.Version, "$.version");
            if (version is not null && !SemverPattern().IsMatch(version))
            {
                throw Fail("$.version", $"'version' must be a semantic version like 1.0.0, got \"{version}\"");
            }
            var extra = doc.Extra ?? new Dictionary<string, JsonElement>();
            if (upstream)
            {
                // The upstream schema requires these; metadata.json (VYRA's older format) never did.
                RequiredString(doc.Name, "$.name");
                RequiredString(extra.TryGetValue("scope", out var scope) ? scope : null, "$.scope");
            }
            var backend = Backend(doc.EntryPoints);
            // Upstream keeps exports under entry_points.backend.exports; VYRA's metadata.json at the top.
            JsonElement? exports = doc.Exports is { ValueKind: not JsonValueKind.Null } top ? top : null;
            var exportsPath = "$.exports";
            if (exports is null && backend is { } b && Property(b, "exports") is { ValueKind: not JsonValueKind.Null } nested)
            {
                exports = nested;
                exportsPath = "$.entry_points.backend.exports";
            }
            return new PluginManifest
            {
                Id = id,
                Version = version,
                Name = LenientString(doc.Name),
                Description = LenientString(doc.Description),
                Exports = exports is { } e ? ReadExports(e, exportsPath) : null,
                Imports = doc.Imports is { } i && i.ValueKind != JsonValueKind.Null ? ReadImports(i) : null,
                InitialState = doc.InitialState is { } s && s.ValueKind != JsonValueKind.Null ? ReadState(s) : [],
                Events = doc.Events is { } ev && ev.ValueKind != JsonValueKind.Null ? ReadStrings(ev, "$.events") : null,
                Limits = ReadLimits(backend),
                Scope = extra.TryGetValue("scope", out var sc) ? LenientString(sc) : null,
                LoadStrategy = ReadLoadStrategy(extra),
                HasBackend = !upstream || backend is not null,
                Extra = extra,
                SourcePath = sourcePath,
            };
        }

        private static JsonElement? Backend(JsonElement? entryPoints) =>
            entryPoints is { ValueKind: JsonValueKind.Object } ep && Property(ep, "backend") is { ValueKind: JsonValueKind.Object } backend ? backend : null;

        private PluginLoadStrategy ReadLoadStrategy(Dictionary<string, JsonElement> extra)
        {
            if (!extra.TryGetValue("load_strategy", out var value) || value.ValueKind == JsonValueKind.Null) return PluginLoadStrategy.Eager;
            return RequiredString(value, "$.load_strategy") switch
            {
                "eager" => PluginLoadStrategy.Eager,
                "lazy" => PluginLoadStrategy.Lazy,
                var other => throw Fail("$.load_strategy", $"'load_strategy' must be \"eager\" or \"lazy\", got \"{other}\""),
            };
        }

        private List<ExportDeclaration> ReadExports(JsonElement exports, string exportsPath)
        {
            ExpectKind(exports, JsonValueKind.Array, exportsPath, "a list");
            var result = new List<ExportDeclaration>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var index = 0;
            foreach (var item in exports.EnumerateArray())
            {
                var path = $"{exportsPath}[{index++}]";
                ExportDeclaration export;
                if (item.ValueKind == JsonValueKind.String)
                {
                    export = new ExportDeclaration(CheckName(item.GetString()!, path, "export"), null, null);
                }
                else
                {
                    ExpectKind(item, JsonValueKind.Object, path, "a name or an object { \"name\", \"args\", \"returns\" }");
                    var name = CheckName(RequiredString(Property(item, "name"), path + ".name"), path + ".name", "export");
                    var args = Property(item, "args") is { ValueKind: not JsonValueKind.Null } a ? ReadArgs(a, path + ".args") : new List<ArgDeclaration>();
                    var returns = Property(item, "returns") is { ValueKind: not JsonValueKind.Null } r ? ReadReturns(r, path + ".returns") : null;
                    export = new ExportDeclaration(name, args, returns, LenientString(Property(item, "description")));
                }
                if (!seen.Add(export.Name))
                {
                    throw Fail(path, $"export '{export.Name}' is declared twice");
                }
                result.Add(export);
            }
            return result;
        }

        private List<ImportDeclaration> ReadImports(JsonElement imports)
        {
            ExpectKind(imports, JsonValueKind.Array, "$.imports", "a list");
            var result = new List<ImportDeclaration>();
            var index = 0;
            foreach (var item in imports.EnumerateArray())
            {
                var path = $"$.imports[{index++}]";
                if (item.ValueKind == JsonValueKind.String)
                {
                    result.Add(new ImportDeclaration(CheckName(item.GetString()!, path, "import")));
                    continue;
                }
                ExpectKind(item, JsonValueKind.Object, path, "a name or an object { \"name\", \"args\", \"returns\" }");
                var name = CheckName(RequiredString(Property(item, "name"), path + ".name"), path + ".name", "import");
                var args = Property(item, "args") is { ValueKind: not JsonValueKind.Null } a ? ReadArgs(a, path + ".args") : null;
                var returns = Property(item, "returns") is { ValueKind: not JsonValueKind.Null } r ? ReadReturns(r, path + ".returns") : null;
                result.Add(new ImportDeclaration(name, args, returns));
            }
            return result;
        }

        private List<ArgDeclaration> ReadArgs(JsonElement args, string path)
        {
            ExpectKind(args, JsonValueKind.Array, path, "a list of { \"name\", \"type\" }");
            var result = new List<ArgDeclaration>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            var index = 0;
            foreach (var arg in args.EnumerateArray())
            {
                var argPath = $"{path}[{index++}]";
                ExpectKind(arg, JsonValueKind.Object, argPath, "an object { \"name\", \"type\" }");
                var name = CheckName(RequiredString(Property(arg, "name"), argPath + ".name"), argPath + ".name", "argument");
                if (!names.Add(name)) throw Fail(argPath + ".name", $"argument '{name}' is declared twice");
                var type = ReadType(Property(arg, "type"), argPath + ".type", allowVoid: false)!.Value;
                if (upstream && type is not (PluginValueType.I32 or PluginValueType.I64 or PluginValueType.F32 or PluginValueType.F64))
                {
                    throw Fail(argPath + ".type", $"the upstream schema allows only i32, i64, f32, f64 as argument types, got \"{type.ToManifestName()}\" (use metadata.json for Vyra.Sdk's extension types)");
                }
                result.Add(new ArgDeclaration(name, type));
            }
            return result;
        }

        private List<PluginValueType> ReadReturns(JsonElement returns, string path)
        {
            if (returns.ValueKind == JsonValueKind.Array)
            {
                var list = new List<PluginValueType>();
                var index = 0;
                foreach (var item in returns.EnumerateArray())
                {
                    list.Add(ReadType(item, $"{path}[{index++}]", allowVoid: false)!.Value);
                }
                return list;
            }
            var single = ReadType(returns, path, allowVoid: true);
            return single is { } t ? [t] : [];
        }

        private PluginValueType? ReadType(JsonElement? element, string path, bool allowVoid)
        {
            var name = RequiredString(element, path);
            if (allowVoid && name == "void") return null;
            if (PluginValueTypes.TryParse(name, out var type)) return type;
            var allowed = allowVoid ? "void, i32, i64, f32, f64, bool, string, bytes, json" : "i32, i64, f32, f64, bool, string, bytes, json";
            throw Fail(path, $"unknown type \"{name}\" (expected one of {allowed})");
        }

        private List<StateEntry> ReadState(JsonElement state)
        {
            ExpectKind(state, JsonValueKind.Object, "$.initial_state", "an object { key: { \"type\", \"default\" } }");
            var result = new List<StateEntry>();
            foreach (var property in state.EnumerateObject())
            {
                var path = "$.initial_state." + property.Name;
                var value = property.Value;
                // Typed form { "type": ..., "default": ... }; anything else is a plain default value.
                if (value.ValueKind == JsonValueKind.Object && (Property(value, "type") is not null || Property(value, "default") is not null))
                {
                    var type = Property(value, "type") is { ValueKind: not JsonValueKind.Null } t ? ReadType(t, path + ".type", allowVoid: false) : null;
                    result.Add(new StateEntry(property.Name, type, Property(value, "default")?.Clone()));
                }
                else
                {
                    result.Add(new StateEntry(property.Name, null, value.Clone()));
                }
            }
            return result;
        }

        private RuntimeLimits ReadLimits(JsonElement? backend)
        {
            if (backend is not { } b || Property(b, "runtime_limits") is not { } limits || limits.ValueKind == JsonValueKind.Null) return new RuntimeLimits();
            const string path = "$.entry_points.backend.runtime_limits";
            ExpectKind(limits, JsonValueKind.Object, path, "an object");
            double? cpuShares = null;
            if (Property(limits, "cpu_shares") is { ValueKind: not JsonValueKind.Null } shares)
            {
                if (shares.ValueKind != JsonValueKind.Number || shares.GetDouble() is <= 0 or > 1)
                {
                    throw Fail(path + ".cpu_shares", $"'cpu_shares' must be a number in (0, 1], got {shares.GetRawText()}");
                }
                cpuShares = shares.GetDouble();
            }
            return new RuntimeLimits(
                MemoryMb: PositiveInteger(limits, "memory_mb", path),
                TimeoutMs: PositiveInteger(limits, "timeout_ms", path),
                Fuel: PositiveInteger(limits, "fuel", path) is { } fuel ? (ulong)fuel : null,
                CpuShares: cpuShares);
        }

        private long? PositiveInteger(JsonElement parent, string name, string parentPath)
        {
            if (Property(parent, name) is not { ValueKind: not JsonValueKind.Null } value) return null;
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n > 0) return n;
            throw Fail($"{parentPath}.{name}", $"'{name}' must be a positive integer, got {value.GetRawText()}");
        }

        private List<string> ReadStrings(JsonElement array, string path)
        {
            ExpectKind(array, JsonValueKind.Array, path, "a list of strings");
            var result = new List<string>();
            var index = 0;
            foreach (var item in array.EnumerateArray())
            {
                result.Add(RequiredString(item, $"{path}[{index++}]"));
            }
            return result;
        }

        private string CheckName(string name, string path, string what)
        {
            if (!NamePattern().IsMatch(name)) throw Fail(path, $"{what} name \"{name}\" is not a valid identifier ([A-Za-z_][A-Za-z0-9_]*)");
            return name;
        }

        private string RequiredString(JsonElement? element, string path)
        {
            if (element is null or { ValueKind: JsonValueKind.Undefined })
            {
                var parent = path[..path.LastIndexOf('.')];
                throw Fail(parent.Length > 1 ? parent : "$", $"required field '{path[(path.LastIndexOf('.') + 1)..]}' is missing");
            }
            var value = element.Value;
            if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
            {
                throw Fail(path, $"'{path}' must be a non-empty string, got {value.GetRawText()}");
            }
            return value.GetString()!;
        }

        private string? OptionalString(JsonElement? element, string path) =>
            element is null or { ValueKind: JsonValueKind.Null } ? null : RequiredString(element, path);

        // Display fields: VYRA manifests sometimes carry localized objects here; keep strings, ignore the rest.
        private static string? LenientString(JsonElement? element) =>
            element is { ValueKind: JsonValueKind.String } s ? s.GetString() : null;

        private static JsonElement? Property(JsonElement obj, string name) =>
            obj.TryGetProperty(name, out var value) ? value : null;

        private void ExpectKind(JsonElement element, JsonValueKind kind, string path, string expected)
        {
            if (element.ValueKind != kind) throw Fail(path, $"'{path}' must be {expected}, got {element.GetRawText()}");
        }

        private PluginLoadException Fail(string path, string problem)
        {
            var line = lineOf(path);
            var where = line is null ? sourcePath : $"{sourcePath}({line})";
            return new PluginLoadException($"{where}: {problem} [field {path}]", sourcePath, line, path);
        }
    }
}
