using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Vyra.Sdk.Generators.Diagnostics;
using Vyra.Sdk.Generators.Json;
using Vyra.Sdk.Generators.Model;
using Vyra.Sdk.Generators.Naming;
using Vyra.Sdk.Generators.Yaml;

namespace Vyra.Sdk.Generators.Parsing;

/// <summary>
/// Turns one <c>metadata.json</c> or upstream <c>manifest.yaml</c> into a <see cref="PluginSpec"/> and its diagnostics.
/// Pure: the same text and options always give an equal result. Follows the kernel's manifest rules (DESIGN §2; for
/// YAML also the upstream schema's: required name, version and scope, argument types i32/i64/f32/f64) and reports each
/// problem at its place in the file it came from.
/// </summary>
internal sealed class ManifestParser
{
    private const string ValueTypes = "i32, i64, f32, f64, bool, string, bytes, json";

    private static readonly Regex IdPattern = new(@"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$", RegexOptions.CultureInvariant);
    private static readonly Regex NamePattern = new(@"^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant);
    private static readonly Regex SemverPattern = new(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$", RegexOptions.CultureInvariant);

    /// <summary>Imports every runtime provides; a manifest may list them but the host interface leaves them out.</summary>
    private static readonly HashSet<string> BuiltInImports = new(StringComparer.Ordinal) { "host_log", "host_emit_event" };

    /// <summary>Members every proxy has; an export that would produce one of these names is renamed with an <c>Export</c> suffix.</summary>
    private static readonly HashSet<string> ProxyMembers = new(StringComparer.Ordinal)
    {
        "Create", "Runtime", "StartAsync", "StopAsync", "DisposeAsync", "PluginId", "PluginVersion",
        "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "ReferenceEquals",
    };

    /// <summary>Members of the generated state record a state key must not shadow.</summary>
    private static readonly HashSet<string> StateMembers = new(StringComparer.Ordinal)
    {
        "ToDictionary", "EqualityContract", "Equals", "GetHashCode", "ToString", "GetType", "Deconstruct", "PrintMembers",
        "MemberwiseClone", "Finalize", "ReferenceEquals", "Clone",
    };

    /// <summary>Upstream's manifest file name.</summary>
    public const string YamlFileName = "manifest.yaml";

    private readonly string _path;
    private readonly SourceText _text;
    private readonly bool _yaml;
    private readonly List<ExportShape> _shapes = new();
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private readonly CancellationToken _cancellationToken;

    private ManifestParser(string path, SourceText text, CancellationToken cancellationToken)
    {
        _path = path;
        _text = text;
        _cancellationToken = cancellationToken;
        _yaml = IsYaml(path);
    }

    /// <summary>True for an upstream <c>manifest.yaml</c> (by file name).</summary>
    public static bool IsYaml(string path) =>
        string.Equals(System.IO.Path.GetFileName(path), YamlFileName, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <paramref name="text"/> (null: the file could not be read).</summary>
    /// <param name="classNameOverride">The <c>VyraClassName</c> item metadata, when set.</param>
    public static ManifestParseResult Parse(string path, SourceText? text, string? classNameOverride, CancellationToken cancellationToken)
    {
        if (text is null)
        {
            var diagnostic = DiagnosticInfo.Create(VyraDiagnostics.InvalidField, new LocationInfo(path, default, default), "The manifest could not be read");
            return new ManifestParseResult(path, null, null, new[] { diagnostic }.ToEquatableArray(), EquatableArray<ExportShape>.Empty);
        }
        return new ManifestParser(path, text, cancellationToken).Run(classNameOverride);
    }

    private ManifestParseResult Run(string? classNameOverride)
    {
        JsonValue root;
        try
        {
            root = _yaml ? YamlReader.Parse(_text.ToString()) : JsonReader.Parse(_text.ToString());
        }
        catch (JsonSyntaxException ex)
        {
            Report(VyraDiagnostics.InvalidJson, SpanAt(ex.Position), ex.Message);
            return Result(null, null);
        }
        catch (YamlSyntaxException ex)
        {
            Report(VyraDiagnostics.InvalidYaml, SpanAt(ex.Position), (ex.Unsupported ? "unsupported YAML: " : "invalid YAML: ") + ex.Message);
            return Result(null, null);
        }
        _cancellationToken.ThrowIfCancellationRequested();
        if (root.Kind != JsonKind.Object)
        {
            if (_yaml) Report(VyraDiagnostics.InvalidYaml, root.Span.Length == 0 ? SpanAt(root.Span.Start) : root.Span, $"the manifest must be a YAML mapping, not {root.Describe()}");
            else Report(VyraDiagnostics.InvalidJson, root.Span, $"the manifest must be a JSON object, not {root.Describe()}");
            return Result(null, null);
        }

        var idProperty = root.Property("id");
        if (idProperty is null)
        {
            Report(VyraDiagnostics.InvalidId, new TextSpan(root.Span.Start, 1), "The manifest has no 'id' (required: [a-z][a-z0-9-]*, dotted forms allowed)");
            return Result(null, null);
        }
        var idLocation = Location(idProperty.Value.Span);
        var id = idProperty.Value.AsString();
        if (id is null || !IdPattern.IsMatch(id))
        {
            Report(VyraDiagnostics.InvalidId, idProperty.Value.Span,
                $"'id' must be a string matching [a-z][a-z0-9-]* (dotted forms allowed), got {idProperty.Value.Describe()}");
            return Result(null, idLocation);
        }

        var version = ReadVersion(root["version"]);
        var backend = root["entry_points"] is { Kind: JsonKind.Object } entryPoints && entryPoints["backend"] is { Kind: JsonKind.Object } b ? b : null;
        if (_yaml)
        {
            // The upstream schema requires these; metadata.json (VYRA's older format) never did.
            foreach (var field in new[] { "name", "version", "scope" })
            {
                var value = root[field];
                if (value is null || value.IsNull) Report(VyraDiagnostics.InvalidField, root.Property(field)?.NameSpan ?? KeyOrRoot(root), $"required field '{field}' is missing (the upstream schema requires id, name, version and scope)");
                else if (field != "version" && (value.AsString() is not { } text || text.Trim().Length == 0)) Report(VyraDiagnostics.InvalidField, value.Span, $"'{field}' must be a non-empty string, got {value.Describe()}");
            }
        }
        var baseName = Identifiers.ToPascalCase(id);
        var className = baseName + "Plugin";
        if (classNameOverride is { Length: > 0 } custom)
        {
            if (Identifiers.IsValid(custom))
            {
                className = custom;
                baseName = custom.EndsWith("Plugin", StringComparison.Ordinal) && custom.Length > "Plugin".Length
                    ? custom.Substring(0, custom.Length - "Plugin".Length)
                    : custom;
            }
            else
            {
                Report(VyraDiagnostics.BadName, idProperty.Value.Span, "Class", custom, "VyraClassName is not a valid C# identifier; the default name " + className + " is used");
            }
        }

        // VYRA's metadata.json keeps exports at the top; upstream under entry_points.backend.exports (as the kernel reads).
        var exportsValue = root["exports"] is { IsNull: false } top ? top : backend?["exports"];
        var exports = ReadExports(exportsValue, className);
        if (_yaml && backend is null)
        {
            // The kernel refuses to run a plugin whose manifest.yaml has no backend: a proxy would only ever fail.
            Report(VyraDiagnostics.FrontendOnly, idProperty.Value.Span, id);
            return Result(null, idLocation);
        }
        var state = ReadState(root["initial_state"], baseName + "State");
        var imports = ReadImports(root["imports"]);
        var spec = new PluginSpec(
            _path,
            id,
            version,
            root["name"]?.AsString(),
            root["description"]?.AsString(),
            baseName,
            className,
            exports.ToEquatableArray(),
            state.ToEquatableArray(),
            imports.ToEquatableArray());
        return Result(spec, idLocation);
    }

    private ManifestParseResult Result(PluginSpec? spec, LocationInfo? idLocation) =>
        new(_path, spec, idLocation, _diagnostics.ToEquatableArray(), _shapes.ToEquatableArray());

    private TextSpan SpanAt(int position)
    {
        position = Math.Max(0, Math.Min(position, _text.Length));
        return new TextSpan(position, position < _text.Length && _text[position] is not ('\n' or '\r') ? 1 : 0);
    }

    /// <summary>Where a missing field belongs: the first key of the root mapping.</summary>
    private static TextSpan KeyOrRoot(JsonValue root) =>
        root.Properties is { Count: > 0 } properties ? properties[0].NameSpan : new TextSpan(root.Span.Start, Math.Min(1, root.Span.Length));

    private string? ReadVersion(JsonValue? value)
    {
        if (value is null || value.IsNull) return null;
        var version = value.AsString();
        if (version is null || !SemverPattern.IsMatch(version))
        {
            Report(VyraDiagnostics.InvalidField, value.Span, $"'version' must be a semantic version like 1.0.0, got {value.Describe()}");
            return version;
        }
        return version;
    }

    // ---- exports --------------------------------------------------------------------------------------------

    private List<ExportSpec> ReadExports(JsonValue? exports, string className)
    {
        var result = new List<ExportSpec>();
        if (exports is null || exports.IsNull) return result;
        if (exports.Kind != JsonKind.Array)
        {
            Report(VyraDiagnostics.InvalidField, exports.Span, $"'exports' must be a list, got {exports.Describe()}");
            return result;
        }
        var declared = new HashSet<string>(StringComparer.Ordinal);
        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in exports.Items!)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            if (item.Kind == JsonKind.String)
            {
                _shapes.Add(new ExportShape(item.Text!, null, null, Location(item.Span)));
                if (!declared.Add(item.Text!)) Report(VyraDiagnostics.DuplicateExport, item.Span, item.Text!);
                else Report(VyraDiagnostics.LegacyExport, item.Span, item.Text!);
                continue;
            }
            if (item.Kind != JsonKind.Object)
            {
                Report(VyraDiagnostics.InvalidField, item.Span, $"an export must be a name or an object {{ \"name\", \"args\", \"returns\" }}, got {item.Describe()}");
                continue;
            }
            var nameValue = item["name"];
            var name = RequireName(nameValue, item, "Export", "export");
            if (name is null) continue;
            if (!declared.Add(name))
            {
                Report(VyraDiagnostics.DuplicateExport, nameValue!.Span, name);
                continue;
            }
            var ok = TryReadArgs(item["args"], allowMissing: true, out var parameters);
            ok &= TryReadReturns(item["returns"], out var returns);
            if (!ok) continue;
            _shapes.Add(new ExportShape(
                name,
                string.Join(",", parameters.ConvertAll(p => p.Type.ManifestName())),
                returns is null ? null : string.Join(",", returns.ConvertAll(r => r.ManifestName())),
                Location(nameValue!.Span)));

            var methodName = Identifiers.ToPascalCase(name);
            if (ProxyMembers.Contains(methodName) || ProxyMembers.Contains(methodName + "Async") || methodName == className || methodName + "Async" == className)
            {
                methodName += "Export";
            }
            // Each export owns four members: the pair callers see and the two private paths behind them.
            var owned = new[] { methodName, methodName + "Async", methodName + "Typed", methodName + "ViaRuntimeAsync" };
            string? owner = null;
            if (Array.Exists(owned, m => members.TryGetValue(m, out owner)))
            {
                Report(VyraDiagnostics.NameCollision, nameValue!.Span, "Export", name, methodName, owner!);
                continue;
            }
            foreach (var member in owned) members[member] = $"export '{name}'";

            var tokenName = "cancellationToken";
            while (parameters.Exists(p => p.Name == tokenName)) tokenName += "_";
            result.Add(new ExportSpec(
                name,
                methodName,
                item["description"]?.AsString(),
                parameters.ToEquatableArray(),
                (returns ?? new List<AbiType> { AbiType.I32 }).ToEquatableArray(),
                returns is not null,
                tokenName));
        }
        return result;
    }

    /// <summary>Reads <c>args</c>: a list of <c>{ "name", "type" }</c>. False when something was reported.</summary>
    private bool TryReadArgs(JsonValue? args, bool allowMissing, out List<ParameterSpec> parameters)
    {
        parameters = new List<ParameterSpec>();
        if (args is null || args.IsNull) return allowMissing;
        if (args.Kind != JsonKind.Array)
        {
            Report(VyraDiagnostics.InvalidField, args.Span, $"'args' must be a list of {{ \"name\", \"type\" }}, got {args.Describe()}");
            return false;
        }
        var ok = true;
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var arg in args.Items!)
        {
            if (arg.Kind != JsonKind.Object)
            {
                Report(VyraDiagnostics.InvalidField, arg.Span, $"an argument must be an object {{ \"name\", \"type\" }}, got {arg.Describe()}");
                ok = false;
                continue;
            }
            var nameValue = arg["name"];
            var name = RequireName(nameValue, arg, "Argument", "argument");
            var type = ReadType(arg["type"], arg, allowVoid: false, out var typeOk);
            if (_yaml && typeOk && type is not (AbiType.I32 or AbiType.I64 or AbiType.F32 or AbiType.F64))
            {
                Report(VyraDiagnostics.InvalidField, arg["type"]!.Span,
                    $"the upstream schema allows only i32, i64, f32, f64 as argument types, got \"{type!.Value.ManifestName()}\" (use metadata.json for Vyra.Sdk's extension types)");
                typeOk = false;
            }
            if (name is null || !typeOk)
            {
                ok = false;
                continue;
            }
            var parameterName = Identifiers.ToCamelCase(name);
            if (names.TryGetValue(parameterName, out var other))
            {
                if (other == name) Report(VyraDiagnostics.BadName, nameValue!.Span, "Argument", name, "it is declared twice");
                else Report(VyraDiagnostics.NameCollision, nameValue!.Span, "Argument", name, parameterName, $"argument '{other}'");
                ok = false;
                continue;
            }
            names[parameterName] = name;
            parameters.Add(new ParameterSpec(name, Identifiers.Escape(parameterName), type!.Value));
        }
        return ok;
    }

    /// <summary>Reads <c>returns</c>: null when absent; empty for <c>void</c>; a list for multi-value.</summary>
    private bool TryReadReturns(JsonValue? value, out List<AbiType>? returns)
    {
        returns = null;
        if (value is null || value.IsNull) return true;
        if (value.Kind == JsonKind.Array)
        {
            returns = new List<AbiType>();
            var ok = true;
            foreach (var item in value.Items!)
            {
                var type = ReadTypeValue(item, allowVoid: false, out var itemOk);
                ok &= itemOk;
                if (type is { } t) returns.Add(t);
            }
            return ok;
        }
        var single = ReadTypeValue(value, allowVoid: true, out var singleOk);
        returns = single is { } s ? new List<AbiType> { s } : new List<AbiType>();
        return singleOk;
    }

    private AbiType? ReadType(JsonValue? value, JsonValue parent, bool allowVoid, out bool ok)
    {
        if (value is null || value.IsNull)
        {
            Report(VyraDiagnostics.InvalidField, parent.Span, "required field 'type' is missing");
            ok = false;
            return null;
        }
        return ReadTypeValue(value, allowVoid, out ok);
    }

    private AbiType? ReadTypeValue(JsonValue value, bool allowVoid, out bool ok)
    {
        ok = true;
        var name = value.AsString();
        if (allowVoid && name == "void") return null;
        if (AbiTypes.TryParse(name, out var type)) return type;
        Report(VyraDiagnostics.UnknownType, value.Span, name ?? value.Describe(), allowVoid ? "void, " + ValueTypes : ValueTypes);
        ok = false;
        return null;
    }

    /// <summary>A required name matching <c>[A-Za-z_][A-Za-z0-9_]*</c> that yields a C# identifier; null when reported.</summary>
    private string? RequireName(JsonValue? value, JsonValue parent, string what, string lower)
    {
        if (value is null || value.IsNull)
        {
            Report(VyraDiagnostics.InvalidField, parent.Span, $"required field 'name' of an {lower} is missing");
            return null;
        }
        var name = value.AsString();
        if (name is null)
        {
            Report(VyraDiagnostics.BadName, value.Span, what, value.Describe(), "a name must be a string");
            return null;
        }
        if (!NamePattern.IsMatch(name))
        {
            Report(VyraDiagnostics.BadName, value.Span, what, name, "it must match [A-Za-z_][A-Za-z0-9_]*");
            return null;
        }
        if (Identifiers.ToPascalCase(name).Length == 0)
        {
            Report(VyraDiagnostics.BadName, value.Span, what, name, "it needs at least one letter or digit");
            return null;
        }
        return name;
    }

    // ---- initial_state ----------------------------------------------------------------------------------------

    private List<StateFieldSpec> ReadState(JsonValue? state, string stateName)
    {
        var result = new List<StateFieldSpec>();
        if (state is null || state.IsNull) return result;
        if (state.Kind != JsonKind.Object)
        {
            Report(VyraDiagnostics.InvalidField, state.Span, $"'initial_state' must be an object {{ key: {{ \"type\", \"default\" }} }}, got {state.Describe()}");
            return result;
        }
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in state.Properties!)
        {
            var key = property.Name;
            var propertyName = Identifiers.ToPascalCase(key);
            if (propertyName.Length == 0)
            {
                Report(VyraDiagnostics.BadName, property.NameSpan, "State key", key, "it needs at least one letter or digit");
                continue;
            }
            if (StateMembers.Contains(propertyName) || propertyName == stateName)
            {
                Report(VyraDiagnostics.NameCollision, property.NameSpan, "State key", key, propertyName, $"a member of {stateName}");
                continue;
            }
            if (names.TryGetValue(propertyName, out var other))
            {
                Report(VyraDiagnostics.NameCollision, property.NameSpan, "State key", key, propertyName, $"state key '{other}'");
                continue;
            }
            names[propertyName] = key;

            var value = property.Value;
            JsonValue? defaultValue = value;
            AbiType? type = null;
            if (value.Kind == JsonKind.Object && (value.Property("type") is not null || value.Property("default") is not null))
            {
                defaultValue = value["default"];
                if (value["type"] is { IsNull: false } typeValue)
                {
                    type = ReadTypeValue(typeValue, allowVoid: false, out var typeOk);
                    if (!typeOk) continue;
                }
            }
            type ??= InferType(defaultValue);
            var expression = DefaultExpression(key, type.Value, defaultValue);
            if (expression is null) continue;
            result.Add(new StateFieldSpec(key, propertyName, type.Value, expression));
        }
        return result;
    }

    private static AbiType InferType(JsonValue? value) => value?.Kind switch
    {
        JsonKind.Number => value.Text!.IndexOfAny(new[] { '.', 'e', 'E' }) >= 0 ? AbiType.F64
            : int.TryParse(value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? AbiType.I32 : AbiType.I64,
        JsonKind.String => AbiType.String,
        JsonKind.True or JsonKind.False => AbiType.Bool,
        _ => AbiType.Json,
    };

    /// <summary>The C# expression of a state default, checked against its type; null when reported.</summary>
    private string? DefaultExpression(string key, AbiType type, JsonValue? value)
    {
        var missing = value is null || value.IsNull;
        string? Mismatch()
        {
            Report(VyraDiagnostics.InvalidField, value!.Span, $"the default of state key '{key}' must be {Article(type)} value, got {value.Describe()}");
            return null;
        }
        var isInteger = value is { Kind: JsonKind.Number } && value.Text!.IndexOfAny(new[] { '.', 'e', 'E' }) < 0;
        switch (type)
        {
            case AbiType.I32:
                if (missing) return "0";
                return isInteger && int.TryParse(value!.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i32)
                    ? i32.ToString(CultureInfo.InvariantCulture) : Mismatch();
            case AbiType.I64:
                if (missing) return "0L";
                return isInteger && long.TryParse(value!.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i64)
                    ? i64.ToString(CultureInfo.InvariantCulture) + "L" : Mismatch();
            case AbiType.F32:
                if (missing) return "0f";
                return value!.Kind == JsonKind.Number ? value.Text + "f" : Mismatch();
            case AbiType.F64:
                if (missing) return "0d";
                return value!.Kind == JsonKind.Number ? value.Text + "d" : Mismatch();
            case AbiType.Bool:
                if (missing) return "false";
                return value!.Kind == JsonKind.True ? "true" : value.Kind == JsonKind.False ? "false" : Mismatch();
            case AbiType.String:
                if (missing) return "\"\"";
                return value!.Kind == JsonKind.String ? SymbolDisplay.FormatLiteral(value.Text!, quote: true) : Mismatch();
            case AbiType.Bytes:
                if (missing) return "global::System.Array.Empty<byte>()";
                if (value!.Kind != JsonKind.String) return Mismatch();
                try
                {
                    Convert.FromBase64String(value.Text!);
                }
                catch (FormatException)
                {
                    Report(VyraDiagnostics.InvalidField, value.Span, $"the default of bytes state key '{key}' must be base64 text");
                    return null;
                }
                return "global::System.Convert.FromBase64String(" + SymbolDisplay.FormatLiteral(value.Text!, quote: true) + ")";
            default:
                if (missing) return "null";
                // JSON text for the runtime: the file's own text for metadata.json, re-written for manifest.yaml.
                var raw = _yaml ? JsonText.Write(value!) : _text.ToString(value!.Span);
                return "global::System.Text.Json.Nodes.JsonNode.Parse(" + SymbolDisplay.FormatLiteral(raw, quote: true) + ")";
        }
    }

    private static string Article(AbiType type) => type is AbiType.I32 or AbiType.I64 or AbiType.F32 or AbiType.F64 ? "an " + type.ManifestName() : "a " + type.ManifestName();

    // ---- imports ------------------------------------------------------------------------------------------------

    private List<ImportSpec> ReadImports(JsonValue? imports)
    {
        var result = new List<ImportSpec>();
        if (imports is null || imports.IsNull) return result;
        if (imports.Kind != JsonKind.Array)
        {
            Report(VyraDiagnostics.InvalidField, imports.Span, $"'imports' must be a list, got {imports.Describe()}");
            return result;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in imports.Items!)
        {
            if (item.Kind == JsonKind.String)
            {
                if (!NamePattern.IsMatch(item.Text!)) Report(VyraDiagnostics.BadName, item.Span, "Import", item.Text!, "it must match [A-Za-z_][A-Za-z0-9_]*");
                continue;
            }
            if (item.Kind != JsonKind.Object)
            {
                Report(VyraDiagnostics.InvalidField, item.Span, $"an import must be a name or an object {{ \"name\", \"args\", \"returns\" }}, got {item.Describe()}");
                continue;
            }
            var nameValue = item["name"];
            var name = RequireName(nameValue, item, "Import", "import");
            if (name is null) continue;
            var ok = TryReadArgs(item["args"], allowMissing: true, out var parameters);
            ok &= TryReadReturns(item["returns"], out var returns);
            if (!ok || BuiltInImports.Contains(name)) continue;
            if (!seen.Add(name))
            {
                Report(VyraDiagnostics.NameCollision, nameValue!.Span, "Import", name, name, "an earlier import");
                continue;
            }
            result.Add(new ImportSpec(name, parameters.ToEquatableArray(), (returns ?? new List<AbiType>()).ToEquatableArray()));
        }
        return result;
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private LocationInfo Location(TextSpan span) => LocationInfo.From(_path, _text, span);

    private void Report(DiagnosticDescriptor descriptor, TextSpan span, params string[] args) =>
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, Location(span), args));
}
