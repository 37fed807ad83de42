using System.Text.Json;
using System.Text.RegularExpressions;

namespace Vyra.Plugin;

/// <summary>
/// Reads <c>metadata.json</c> into a <see cref="PluginManifest"/>. Accepts every VYRA spelling (object and string
/// exports, no exports, extra fields) and fails with a <see cref="PluginLoadException"/> that names the file,
/// the line and the field of the first problem.
/// </summary>
public static partial class ManifestReader
{
    /// <summary>The manifest's file name inside a plugin folder.</summary>
    public const string FileName = "metadata.json";

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
    public static PluginManifest Parse(ReadOnlySpan<byte> utf8Json, string sourcePath = FileName)
    {
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
            return new Builder(bytes, sourcePath).Build(doc);
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
    private sealed class Builder(byte[] bytes, string sourcePath)
    {
        public PluginManifest Build(ManifestDocument doc)
        {
            var id = RequiredString(doc.Id, "$.id");
            if (!IdPattern().IsMatch(id))
            {
                throw Fail("$.id", $"'id' must match [a-z][a-z0-9-]* (dotted forms allowed), got \"{id}\"");
            }
            var version = OptionalString(doc.Version, "$.version");
            if (version is not null && !SemverPattern().IsMatch(version))
            {
                throw Fail("$.version", $"'version' must be a semantic version like 1.0.0, got \"{version}\"");
            }
            return new PluginManifest
            {
                Id = id,
                Version = version,
                Name = LenientString(doc.Name),
                Description = LenientString(doc.Description),
                Exports = doc.Exports is { } e && e.ValueKind != JsonValueKind.Null ? ReadExports(e) : null,
                Imports = doc.Imports is { } i && i.ValueKind != JsonValueKind.Null ? ReadImports(i) : null,
                InitialState = doc.InitialState is { } s && s.ValueKind != JsonValueKind.Null ? ReadState(s) : [],
                Events = doc.Events is { } ev && ev.ValueKind != JsonValueKind.Null ? ReadStrings(ev, "$.events") : null,
                Limits = ReadLimits(doc.EntryPoints),
                Extra = doc.Extra ?? new Dictionary<string, JsonElement>(),
                SourcePath = sourcePath,
            };
        }

        private List<ExportDeclaration> ReadExports(JsonElement exports)
        {
            ExpectKind(exports, JsonValueKind.Array, "$.exports", "a list");
            var result = new List<ExportDeclaration>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var index = 0;
            foreach (var item in exports.EnumerateArray())
            {
                var path = $"$.exports[{index++}]";
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
                result.Add(new ArgDeclaration(name, ReadType(Property(arg, "type"), argPath + ".type", allowVoid: false)!.Value));
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

        private RuntimeLimits ReadLimits(JsonElement? entryPoints)
        {
            if (entryPoints is not { ValueKind: JsonValueKind.Object } ep) return new RuntimeLimits();
            if (Property(ep, "backend") is not { ValueKind: JsonValueKind.Object } backend) return new RuntimeLimits();
            if (Property(backend, "runtime_limits") is not { } limits || limits.ValueKind == JsonValueKind.Null) return new RuntimeLimits();
            const string path = "$.entry_points.backend.runtime_limits";
            ExpectKind(limits, JsonValueKind.Object, path, "an object");
            return new RuntimeLimits(
                MemoryMb: PositiveInteger(limits, "memory_mb", path),
                TimeoutMs: PositiveInteger(limits, "timeout_ms", path),
                Fuel: PositiveInteger(limits, "fuel", path) is { } fuel ? (ulong)fuel : null);
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
            var line = JsonLineLocator.FindLine(bytes, path);
            var where = line is null ? sourcePath : $"{sourcePath}({line})";
            return new PluginLoadException($"{where}: {problem} [field {path}]", sourcePath, line, path);
        }
    }
}
