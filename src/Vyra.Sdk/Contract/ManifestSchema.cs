using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Vyra.Sdk.Contract;

/// <summary>
/// Upstream VYRA's manifest schema, field for field (docs/manifest.md), applied to a parsed tree: it builds the
/// <see cref="ManifestModel"/> and records every problem with its place and field. The rules differ by format only
/// where upstream's do: <c>manifest.yaml</c> requires <c>name</c>, <c>version</c> and <c>scope</c> and allows only
/// <c>i32 i64 f32 f64</c> arguments; <c>metadata.json</c> also takes our extensions. Unknown fields are kept, not refused.
/// </summary>
internal sealed class ManifestSchema
{
    public const string ValueTypeNames = "i32, i64, f32, f64, bool, string, bytes, json";

    /// <summary>Upstream's id pattern: one name, or two or three dotted names (a leading dot allowed).</summary>
    private static readonly Regex IdPattern = new(@"^(\.?[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*){1,2}|[a-z][a-z0-9-]*)\z", RegexOptions.CultureInvariant);

    /// <summary>Upstream's version pattern is <c>^\d+\.\d+\.\d+</c>; we hold it to full semver so versions order.</summary>
    private static readonly Regex SemverPattern = new(@"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?\z", RegexOptions.CultureInvariant);

    // An identifier with at least one letter or digit, so that it also names a C# member (a lone "_" would not).
    private static readonly Regex NamePattern = new(@"^(?=_*[A-Za-z0-9])[A-Za-z_][A-Za-z0-9_]*\z", RegexOptions.CultureInvariant);

    private static readonly Regex ChecksumPattern = new(@"^sha256:[0-9a-fA-F]{64}\z", RegexOptions.CultureInvariant);

    private static readonly string[] ScopeTypes = { "GLOBAL", "TEMPLATE", "MODULE", "INSTANCE" };
    private static readonly string[] Transports = { "publish", "subscribe", "server", "client" };
    private static readonly string[] Statuses = { "development", "beta", "stable", "deprecated" };
    private static readonly string[] StorageModes = { "none", "read-only", "read-write" };

    private readonly ManifestFormat _format;
    private readonly List<ManifestProblem> _problems;

    public ManifestSchema(ManifestFormat format, List<ManifestProblem> problems)
    {
        _format = format;
        _problems = problems;
    }

    private bool Upstream => _format == ManifestFormat.ManifestYaml;

    /// <summary>Reads the document; null when it cannot be a manifest at all (not an object, no usable id).</summary>
    public ManifestModel? Read(ManifestNode root)
    {
        if (root.Kind != NodeKind.Object)
        {
            var code = Upstream ? ManifestProblemCode.InvalidYaml : ManifestProblemCode.InvalidJson;
            Report(code, root.Span.Length == 0 ? new SourceSpan(root.Span.Start, 0) : root.Span, "$",
                Upstream ? $"the manifest must be a YAML mapping, not {root.DescribeKind()}" : $"the manifest must be a JSON object, not {root.DescribeKind()}");
            return null;
        }
        var idProperty = root.Property("id");
        if (idProperty is null)
        {
            Report(ManifestProblemCode.InvalidId, new SourceSpan(root.Span.Start, Math.Min(1, root.Span.Length)), "$", "required field 'id' is missing (upstream's pattern: [a-z][a-z0-9-]*, or two or three dotted names)");
            return null;
        }
        var id = idProperty.Value.AsString();
        if (id is null || !IdPattern.IsMatch(id))
        {
            Report(ManifestProblemCode.InvalidId, idProperty.Value.Span, "$.id",
                $"'id' must match [a-z][a-z0-9-]* (or two or three dotted names), got {idProperty.Value.Describe()}");
            return null;
        }
        var model = new ManifestModel(_format, root, id, idProperty.Value);
        model.Version = ReadVersion(root);
        model.Name = ReadDisplayString(root, "name", required: Upstream);
        model.Description = ReadDisplayString(root, "description", required: false);
        model.Scope = ReadScope(root);
        ReadCatalogFields(root, model);

        var entryPoints = OptionalObject(root, "entry_points", "$.entry_points");
        var backend = entryPoints is null ? null : OptionalObject(entryPoints, "backend", "$.entry_points.backend");
        if (entryPoints is not null) CheckFrontend(entryPoints);
        // Upstream's manifest.yaml runs nothing without a backend; an old metadata.json may have no entry_points at all.
        model.HasBackend = backend is not null || (!Upstream && entryPoints is null);

        // VYRA's metadata.json keeps exports at the top; upstream under entry_points.backend.exports.
        var top = root["exports"];
        if (top is not null && !top.IsNull)
        {
            model.Exports = ReadExports(top, "$.exports");
        }
        else if (backend?["exports"] is { IsNull: false } nested)
        {
            model.Exports = ReadExports(nested, "$.entry_points.backend.exports");
            model.ExportsField = "$.entry_points.backend.exports";
        }
        if (backend is not null)
        {
            model.Limits = ReadLimits(backend);
            model.ServiceExports = ReadServiceExports(backend);
            model.ExportedFunctions = OptionalStrings(backend, "exported_functions", "$.entry_points.backend.exported_functions");
            OptionalEnum(backend, "type", "$.entry_points.backend.type", new[] { "wasm", "python" });
            OptionalString(backend, "file", "$.entry_points.backend.file");
            OptionalString(backend, "handler", "$.entry_points.backend.handler");
        }
        model.Imports = ReadImports(root["imports"]);
        model.InitialState = ReadState(root["initial_state"]);
        model.Events = OptionalStrings(root, "events", "$.events");
        model.Permissions = ReadPermissions(root);
        model.Component = ReadComponent(root);
        return model;
    }

    // ---- component (our extension, docs/components.md) ------------------------------------------------------------

    /// <summary>A WIT name: kebab-case words (each a letter then letters and digits), a leading % allowed.</summary>
    private static readonly Regex WitWorldPattern = new(
        @"^(%?[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*:%?[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*/)?%?[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*(@[0-9A-Za-z.+-]+)?\z",
        RegexOptions.CultureInvariant);

    /// <summary>The largest <c>wit</c> path, in characters: a path, not a payload.</summary>
    private const int MaxWitPathChars = 256;

    private ComponentModel? ReadComponent(ManifestNode root)
    {
        var block = OptionalObject(root, "component", "$.component");
        if (block is null) return null;
        var worldNode = block["world"];
        string? world = null;
        if (worldNode is null || worldNode.IsNull)
        {
            Report(ManifestProblemCode.InvalidField, block.Span, "$.component", "required field 'world' of 'component' is missing (the WIT world the component implements)");
        }
        else if ((world = worldNode.AsString()) is null || !WitWorldPattern.IsMatch(world))
        {
            Report(ManifestProblemCode.InvalidField, worldNode.Span, "$.component.world",
                $"'component.world' must be a WIT world name (kebab-case, optionally package-qualified like ns:pkg/world), got {worldNode.Describe()}");
            world = null;
        }
        var witNode = block["wit"];
        var wit = "wit";
        if (witNode is not null && !witNode.IsNull)
        {
            var text = witNode.AsString();
            var problem = text is null ? "must be a string" : WitPathProblem(text);
            if (problem is not null)
            {
                Report(ManifestProblemCode.InvalidField, witNode.Span, "$.component.wit",
                    $"'component.wit' {problem} (a folder or .wit file inside the plugin folder), got {witNode.Describe()}");
                return null;
            }
            wit = text!;
        }
        return world is null ? null : new ComponentModel(world, worldNode!, wit, witNode);
    }

    /// <summary>Why a <c>wit</c> path is refused: it must stay inside the plugin folder, whatever the host's OS.</summary>
    private static string? WitPathProblem(string path)
    {
        if (path.Length == 0) return "must not be empty";
        if (path.Length > MaxWitPathChars) return $"must be at most {MaxWitPathChars} characters";
        if (path[0] == '/' || path[0] == '\\' || path.IndexOf(':') >= 0) return "must be a relative path";
        foreach (var c in path)
        {
            if (c < ' ' || c == '\u007f') return "must not hold control characters";
        }
        foreach (var segment in path.Split('/', '\\'))
        {
            if (segment == "..") return "must not leave the plugin folder ('..')";
        }
        return null;
    }

    // ---- identity -------------------------------------------------------------------------------------------------

    private string? ReadVersion(ManifestNode root)
    {
        var property = root.Property("version");
        if (property is null || property.Value.IsNull)
        {
            if (Upstream) Report(ManifestProblemCode.InvalidField, property?.NameSpan ?? FirstKey(root), "$", "required field 'version' is missing (the upstream schema requires id, name, version and scope)");
            return null;
        }
        var value = property.Value;
        var text = value.AsString();
        if (text is null || !SemverPattern.IsMatch(text))
        {
            // YAML reads an unquoted 1.2 as a number: say what is wrong with it, not just that it is no string.
            Report(ManifestProblemCode.InvalidField, value.Span, "$.version", $"'version' must be a semantic version like 1.0.0, got {value.Describe()}");
            return null;
        }
        return text;
    }

    /// <summary>Display fields: strings; upstream requires <c>name</c>.</summary>
    private string? ReadDisplayString(ManifestNode root, string field, bool required)
    {
        var property = root.Property(field);
        if (property is null || property.Value.IsNull)
        {
            if (required) Report(ManifestProblemCode.InvalidField, property?.NameSpan ?? FirstKey(root), "$", $"required field '{field}' is missing (the upstream schema requires id, name, version and scope)");
            return null;
        }
        var text = property.Value.AsString();
        if (text is null || (required && text.Trim().Length == 0))
        {
            Report(ManifestProblemCode.InvalidField, property.Value.Span, "$." + field, $"'{field}' must be a non-empty string, got {property.Value.Describe()}");
            return null;
        }
        return text;
    }

    /// <summary>
    /// <c>scope</c>: upstream's object <c>{ type, target, owner_module? }</c> (type in either case). The old string
    /// form names a type and is read with a warning; it carries no target.
    /// </summary>
    private ScopeModel? ReadScope(ManifestNode root)
    {
        var property = root.Property("scope");
        if (property is null || property.Value.IsNull)
        {
            if (Upstream) Report(ManifestProblemCode.InvalidField, property?.NameSpan ?? FirstKey(root), "$", "required field 'scope' is missing (the upstream schema requires id, name, version and scope)");
            return null;
        }
        var value = property.Value;
        if (value.Kind == NodeKind.String)
        {
            var type = ScopeType(value.Text!);
            if (type is null)
            {
                Report(ManifestProblemCode.InvalidField, value.Span, "$.scope",
                    $"'scope' must be an object {{ type, target, owner_module? }}; as a string (the old form) it must name a type ({string.Join(", ", ScopeTypes)}), got {value.Describe()}");
                return null;
            }
            Report(ManifestProblemCode.LegacyScope, value.Span, "$.scope",
                $"'scope' as a string is the old form; upstream writes {{ type: {type}, target: <name> }}");
            return new ScopeModel(type, null, null, IsLegacyString: true);
        }
        if (value.Kind != NodeKind.Object)
        {
            Report(ManifestProblemCode.InvalidField, value.Span, "$.scope", $"'scope' must be an object {{ type, target, owner_module? }}, got {value.Describe()}");
            return null;
        }
        var typeNode = value["type"];
        string? scopeType = null;
        if (typeNode is null || typeNode.IsNull) Report(ManifestProblemCode.InvalidField, value.Span, "$.scope", "required field 'type' of 'scope' is missing");
        else if (typeNode.AsString() is not { } t || (scopeType = ScopeType(t)) is null)
        {
            Report(ManifestProblemCode.InvalidField, typeNode.Span, "$.scope.type", $"'scope.type' must be one of {string.Join(", ", ScopeTypes)} (either case), got {typeNode.Describe()}");
        }
        var targetNode = value["target"];
        string? target = null;
        if (targetNode is null || targetNode.IsNull) Report(ManifestProblemCode.InvalidField, value.Span, "$.scope", "required field 'target' of 'scope' is missing");
        else if ((target = targetNode.AsString()) is null) Report(ManifestProblemCode.InvalidField, targetNode.Span, "$.scope.target", $"'scope.target' must be a string, got {targetNode.Describe()}");
        var owner = OptionalString(value, "owner_module", "$.scope.owner_module");
        return scopeType is null || target is null ? null : new ScopeModel(scopeType, target, owner, IsLegacyString: false);
    }

    private static string? ScopeType(string text)
    {
        foreach (var type in ScopeTypes)
        {
            if (string.Equals(type, text, StringComparison.OrdinalIgnoreCase)) return type;
        }
        return null;
    }

    /// <summary>The fields upstream's catalog and UI use; read for their shape, the model keeps what acts on something.</summary>
    private void ReadCatalogFields(ManifestNode root, ManifestModel model)
    {
        var checksum = OptionalString(root, "checksum", "$.checksum");
        if (checksum is { Length: > 0 })
        {
            if (!ChecksumPattern.IsMatch(checksum)) Report(ManifestProblemCode.InvalidField, root["checksum"]!.Span, "$.checksum", $"'checksum' must be \"\" (unset) or \"sha256:<64 hex digits>\" of the module file, got \"{checksum}\"");
            else model.Checksum = checksum.ToLowerInvariant();
        }
        model.Hash = OptionalString(root, "hash", "$.hash");
        model.Category = OptionalString(root, "category", "$.category");
        OptionalString(root, "sub_category", "$.sub_category");
        OptionalString(root, "short_description", "$.short_description");
        OptionalString(root, "author", "$.author");
        model.Tags = OptionalStrings(root, "tags", "$.tags");
        OptionalStrings(root, "compatible_with", "$.compatible_with");
        model.Status = OptionalEnum(root, "status", "$.status", Statuses);
        model.LoadLazily = OptionalEnum(root, "load_strategy", "$.load_strategy", new[] { "eager", "lazy" }) == "lazy";
        if (root["priority"] is { IsNull: false } priority)
        {
            if (Integer(priority) is { } p && p >= 0 && p <= 100) model.Priority = (int)p;
            else Report(ManifestProblemCode.InvalidField, priority.Span, "$.priority", $"'priority' must be an integer from 0 to 100, got {priority.Describe()}");
        }
        if (root["config_schema"] is { IsNull: false } schema && schema.Kind != NodeKind.String)
        {
            Report(ManifestProblemCode.InvalidField, schema.Span, "$.config_schema", $"'config_schema' must be a path or null, got {schema.Describe()}");
        }
        if (OptionalObject(root, "docs", "$.docs") is { } docs)
        {
            OptionalString(docs, "wiki_path", "$.docs.wiki_path");
            OptionalStrings(docs, "search_keywords", "$.docs.search_keywords");
        }
        if (OptionalObject(root, "runtime", "$.runtime") is { } runtime)
        {
            OptionalEnum(runtime, "image_type", "$.runtime.image_type", new[] { "SLIM", "FULL" });
            OptionalObject(runtime, "resources", "$.runtime.resources");
        }
        model.Dependencies = ReadDependencies(root);
    }

    private List<DependencyModel>? ReadDependencies(ManifestNode root)
    {
        if (OptionalObject(root, "dependencies", "$.dependencies") is not { } dependencies) return null;
        var result = new List<DependencyModel>();
        if (OptionalList(dependencies, "modules", "$.dependencies.modules") is { } modules)
        {
            for (var i = 0; i < modules.Items!.Count; i++)
            {
                var path = $"$.dependencies.modules[{i}]";
                var item = modules.Items[i];
                if (item.Kind != NodeKind.Object)
                {
                    Report(ManifestProblemCode.InvalidField, item.Span, path, $"a module dependency must be an object {{ id, min_version }}, got {item.Describe()}");
                    continue;
                }
                var id = RequiredString(item, "id", path);
                var minVersion = OptionalString(item, "min_version", path + ".min_version");
                if (id is not null) result.Add(new DependencyModel(id, minVersion));
            }
        }
        OptionalList(dependencies, "services", "$.dependencies.services");
        return result;
    }

    /// <summary><c>entry_points.frontend</c>: read for shape only (the UI is not ours to run).</summary>
    private void CheckFrontend(ManifestNode entryPoints)
    {
        if (OptionalObject(entryPoints, "frontend", "$.entry_points.frontend") is not { } frontend) return;
        OptionalString(frontend, "type", "$.entry_points.frontend.type");
        OptionalString(frontend, "file", "$.entry_points.frontend.file");
        if (frontend["css"] is { IsNull: false } css && css.Kind != NodeKind.String) OptionalStrings(frontend, "css", "$.entry_points.frontend.css");
        if (OptionalList(frontend, "slots", "$.entry_points.frontend.slots") is not { } slots) return;
        for (var i = 0; i < slots.Items!.Count; i++)
        {
            var slot = slots.Items[i];
            var path = $"$.entry_points.frontend.slots[{i}]";
            if (slot.Kind != NodeKind.Object)
            {
                Report(ManifestProblemCode.InvalidField, slot.Span, path, $"a slot must be an object {{ scope, component, ... }}, got {slot.Describe()}");
                continue;
            }
            if (slot["scope"] is { IsNull: false } scope && scope.Kind != NodeKind.String) OptionalStrings(slot, "scope", path + ".scope");
            OptionalString(slot, "component", path + ".component");
            OptionalString(slot, "title", path + ".title");
            foreach (var number in new[] { "priority", "min_width", "min_height" })
            {
                if (slot[number] is { IsNull: false } n && n.Kind != NodeKind.Number) Report(ManifestProblemCode.InvalidField, n.Span, path + "." + number, $"'{number}' must be a number, got {n.Describe()}");
            }
            if (OptionalObject(slot, "slot_scope", path + ".slot_scope") is { } slotScope)
            {
                OptionalString(slotScope, "type", path + ".slot_scope.type");
                OptionalString(slotScope, "target", path + ".slot_scope.target");
            }
        }
    }

    // ---- exports and imports --------------------------------------------------------------------------------------

    private List<ExportModel> ReadExports(ManifestNode exports, string field)
    {
        var result = new List<ExportModel>();
        if (exports.Kind != NodeKind.Array)
        {
            Report(ManifestProblemCode.InvalidField, exports.Span, field, $"'exports' must be a list, got {exports.Describe()}");
            return result;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < exports.Items!.Count; i++)
        {
            var item = exports.Items[i];
            var path = $"{field}[{i}]";
            if (item.Kind == NodeKind.String)
            {
                var legacyName = CheckName(item, path, "Export");
                if (legacyName is null) continue;
                if (!seen.Add(legacyName))
                {
                    Report(ManifestProblemCode.DuplicateExport, item.Span, path, $"export '{legacyName}' is declared twice");
                    continue;
                }
                Report(ManifestProblemCode.LegacyExport, item.Span, path, $"export '{legacyName}' is given by name only (VYRA's legacy form): its signature comes from the module");
                result.Add(new ExportModel(legacyName, item, null, null, null));
                continue;
            }
            if (item.Kind != NodeKind.Object)
            {
                Report(ManifestProblemCode.InvalidField, item.Span, path, $"an export must be a name or an object {{ name, args, returns }}, got {item.Describe()}");
                continue;
            }
            var nameNode = item["name"];
            if (nameNode is null || nameNode.IsNull)
            {
                Report(ManifestProblemCode.InvalidField, item.Span, path, "required field 'name' of an export is missing");
                continue;
            }
            var name = CheckName(nameNode, path + ".name", "Export");
            var args = ReadArgs(item["args"], path + ".args", exportArgs: true);
            var returns = ReadReturns(item["returns"], path + ".returns", out var returnsOk);
            if (name is null || args is null || !returnsOk) continue;
            if (!seen.Add(name))
            {
                Report(ManifestProblemCode.DuplicateExport, nameNode.Span, path + ".name", $"export '{name}' is declared twice");
                continue;
            }
            result.Add(new ExportModel(name, nameNode, args, returns, item["description"]?.AsString()));
        }
        return result;
    }

    private List<ImportModel>? ReadImports(ManifestNode? imports)
    {
        if (imports is null || imports.IsNull) return null;
        var result = new List<ImportModel>();
        if (imports.Kind != NodeKind.Array)
        {
            Report(ManifestProblemCode.InvalidField, imports.Span, "$.imports", $"'imports' must be a list, got {imports.Describe()}");
            return result;
        }
        for (var i = 0; i < imports.Items!.Count; i++)
        {
            var item = imports.Items[i];
            var path = $"$.imports[{i}]";
            if (item.Kind == NodeKind.String)
            {
                if (CheckName(item, path, "Import") is { } bare) result.Add(new ImportModel(bare, item, null, null));
                continue;
            }
            if (item.Kind != NodeKind.Object)
            {
                Report(ManifestProblemCode.InvalidField, item.Span, path, $"an import must be a name or an object {{ name, args, returns }}, got {item.Describe()}");
                continue;
            }
            var nameNode = item["name"];
            if (nameNode is null || nameNode.IsNull)
            {
                Report(ManifestProblemCode.InvalidField, item.Span, path, "required field 'name' of an import is missing");
                continue;
            }
            var name = CheckName(nameNode, path + ".name", "Import");
            // The object form declares a signature: no args means none, no returns means void.
            var args = ReadArgs(item["args"], path + ".args", exportArgs: false);
            var returns = ReadReturns(item["returns"], path + ".returns", out var returnsOk);
            if (name is null || args is null || !returnsOk) continue;
            result.Add(new ImportModel(name, nameNode, args, returns ?? new List<PluginValueType>()));
        }
        return result;
    }

    /// <summary>A list of <c>{ name, type }</c>; null when something was reported.</summary>
    private List<ArgModel>? ReadArgs(ManifestNode? args, string field, bool exportArgs)
    {
        var result = new List<ArgModel>();
        if (args is null || args.IsNull) return result;
        if (args.Kind != NodeKind.Array)
        {
            Report(ManifestProblemCode.InvalidField, args.Span, field, $"'args' must be a list of {{ name, type }}, got {args.Describe()}");
            return null;
        }
        var ok = true;
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Items!.Count; i++)
        {
            var arg = args.Items[i];
            var path = $"{field}[{i}]";
            if (arg.Kind != NodeKind.Object)
            {
                Report(ManifestProblemCode.InvalidField, arg.Span, path, $"an argument must be an object {{ name, type }}, got {arg.Describe()}");
                ok = false;
                continue;
            }
            var nameNode = arg["name"];
            string? name = null;
            if (nameNode is null || nameNode.IsNull) Report(ManifestProblemCode.InvalidField, arg.Span, path, "required field 'name' of an argument is missing");
            else name = CheckName(nameNode, path + ".name", "Argument");
            var typeNode = arg["type"];
            PluginValueType? type = null;
            if (typeNode is null || typeNode.IsNull) Report(ManifestProblemCode.InvalidField, arg.Span, path, "required field 'type' of an argument is missing");
            else
            {
                type = ReadType(typeNode, path + ".type", allowVoid: false, out var typeOk);
                if (typeOk && exportArgs && Upstream && !type!.Value.IsUpstreamArgumentType())
                {
                    Report(ManifestProblemCode.InvalidField, typeNode.Span, path + ".type",
                        $"the upstream schema allows only i32, i64, f32, f64 as argument types, got \"{type.Value.ToManifestName()}\" (use metadata.json for Vyra.Sdk's extension types)");
                    type = null;
                }
            }
            if (name is null || type is null)
            {
                ok = false;
                continue;
            }
            if (!names.Add(name))
            {
                Report(ManifestProblemCode.BadName, nameNode!.Span, path + ".name", $"argument '{name}' is declared twice");
                ok = false;
                continue;
            }
            result.Add(new ArgModel(name, nameNode!, type.Value));
        }
        return ok ? result : null;
    }

    /// <summary><c>returns</c>: null when absent, empty for <c>void</c>, a list for multi-value.</summary>
    private List<PluginValueType>? ReadReturns(ManifestNode? value, string field, out bool ok)
    {
        ok = true;
        if (value is null || value.IsNull) return null;
        var result = new List<PluginValueType>();
        if (value.Kind == NodeKind.Array)
        {
            for (var i = 0; i < value.Items!.Count; i++)
            {
                var type = ReadType(value.Items[i], $"{field}[{i}]", allowVoid: false, out var itemOk);
                ok &= itemOk;
                if (type is { } t) result.Add(t);
            }
            return result;
        }
        var single = ReadType(value, field, allowVoid: true, out ok);
        if (single is { } s) result.Add(s);
        return result;
    }

    private PluginValueType? ReadType(ManifestNode value, string field, bool allowVoid, out bool ok)
    {
        ok = true;
        var name = value.AsString();
        if (allowVoid && name == "void") return null;
        if (PluginValueTypes.TryParse(name, out var type)) return type;
        Report(ManifestProblemCode.UnknownType, value.Span, field,
            $"unknown type {(name is null ? value.Describe() : "\"" + name + "\"")} (expected one of {(allowVoid ? "void, " : "")}{ValueTypeNames})");
        ok = false;
        return null;
    }

    /// <summary>A name matching <c>[A-Za-z_][A-Za-z0-9_]*</c>; null when reported.</summary>
    private string? CheckName(ManifestNode value, string field, string what)
    {
        var name = value.AsString();
        if (name is null)
        {
            Report(ManifestProblemCode.BadName, value.Span, field, $"{what} name must be a string, got {value.Describe()}");
            return null;
        }
        if (!NamePattern.IsMatch(name))
        {
            Report(ManifestProblemCode.BadName, value.Span, field, $"{what} name \"{ShortName(name)}\" is not a valid identifier ([A-Za-z_][A-Za-z0-9_]* with a letter or digit)");
            return null;
        }
        return name;
    }

    // ---- state, limits, permissions, services ------------------------------------------------------------------------

    private List<StateModel>? ReadState(ManifestNode? state)
    {
        if (state is null || state.IsNull) return null;
        var result = new List<StateModel>();
        if (state.Kind != NodeKind.Object)
        {
            Report(ManifestProblemCode.InvalidField, state.Span, "$.initial_state", $"'initial_state' must be an object {{ key: {{ type, default }} }}, got {state.Describe()}");
            return result;
        }
        foreach (var property in state.Properties!)
        {
            var value = property.Value;
            // Typed form { type, default }; anything else is a plain default value.
            if (value.Kind == NodeKind.Object && (value.Property("type") is not null || value.Property("default") is not null))
            {
                PluginValueType? type = null;
                if (value["type"] is { IsNull: false } typeNode)
                {
                    type = ReadType(typeNode, "$.initial_state." + property.Name + ".type", allowVoid: false, out var typeOk);
                    if (!typeOk) continue;
                }
                var defaultNode = value["default"];
                if (type is { } declared && defaultNode is { IsNull: false } && !Fits(defaultNode, declared))
                {
                    Report(ManifestProblemCode.InvalidField, defaultNode.Span, "$.initial_state." + property.Name + ".default",
                        $"the default of state key '{property.Name}' must be {(declared.IsUpstreamArgumentType() ? "an" : "a")} {declared.ToManifestName()} value, got {defaultNode.Describe()}");
                    continue;
                }
                result.Add(new StateModel(property.Name, property.NameSpan, type, defaultNode));
            }
            else
            {
                // An untyped default takes its value's type: a number must then fit an i64 or be a finite f64.
                var isFloat = value.Kind == NodeKind.Number && value.Text!.IndexOfAny(new[] { '.', 'e', 'E' }) >= 0;
                if (value.Kind == NodeKind.Number && !(isFloat ? Fits(value, PluginValueType.F64) : Integer(value) is not null))
                {
                    Report(ManifestProblemCode.InvalidField, value.Span, "$.initial_state." + property.Name,
                        $"the default of state key '{property.Name}' is a number that fits neither an i64 nor an f64, got {value.Describe()}");
                    continue;
                }
                result.Add(new StateModel(property.Name, property.NameSpan, null, value));
            }
        }
        return result;
    }

    /// <summary>Whether a typed state default holds a value of its type (bytes as base64 text, json anything).</summary>
    private static bool Fits(ManifestNode value, PluginValueType type)
    {
        switch (type)
        {
            case PluginValueType.I32:
                return value.Kind == NodeKind.Number && value.Text!.Length <= 12 && int.TryParse(value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
            case PluginValueType.I64:
                return Integer(value) is not null;
            case PluginValueType.F32:
                return value.Kind == NodeKind.Number && float.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && !float.IsInfinity(f);
            case PluginValueType.F64:
                return value.Kind == NodeKind.Number && double.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsInfinity(d);
            case PluginValueType.Bool:
                return value.Kind is NodeKind.True or NodeKind.False;
            case PluginValueType.String:
                return value.Kind == NodeKind.String;
            case PluginValueType.Bytes:
                if (value.Kind != NodeKind.String) return false;
                try
                {
                    Convert.FromBase64String(value.Text!);
                    return true;
                }
                catch (FormatException)
                {
                    return false;
                }
            default:
                return true;
        }
    }

    private LimitsModel ReadLimits(ManifestNode backend)
    {
        const string path = "$.entry_points.backend.runtime_limits";
        if (OptionalObject(backend, "runtime_limits", path) is not { } limits) return new LimitsModel(null, null, null, null);
        double? cpuShares = null;
        if (limits["cpu_shares"] is { IsNull: false } shares)
        {
            if (shares.Kind == NodeKind.Number && double.TryParse(shares.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 && s <= 1) cpuShares = s;
            else Report(ManifestProblemCode.InvalidField, shares.Span, path + ".cpu_shares", $"'cpu_shares' must be a number in (0, 1], got {shares.Describe()}");
        }
        return new LimitsModel(PositiveInteger(limits, "memory_mb", path), PositiveInteger(limits, "timeout_ms", path), PositiveInteger(limits, "fuel", path), cpuShares);
    }

    private long? PositiveInteger(ManifestNode parent, string name, string parentPath)
    {
        if (parent[name] is not { IsNull: false } value) return null;
        if (Integer(value) is { } n && n > 0) return n;
        Report(ManifestProblemCode.InvalidField, value.Span, parentPath + "." + name, $"'{name}' must be a positive integer (at most {long.MaxValue}), got {value.Describe()}");
        return null;
    }

    /// <summary>
    /// <c>permissions</c>. <c>interfaces</c> takes VYRA's facade shape (objects <c>{ transport, module_name, module_id }</c>)
    /// and the schema's shape (strings): <c>"module"</c> grants every transport on that module, <c>"transport:module"</c>
    /// one transport, and <c>"transport:module/id"</c> one instance (docs/manifest.md). <c>zenoh_scopes</c> may also
    /// stand at the top (the oldest metadata.json files).
    /// </summary>
    private PermissionsModel? ReadPermissions(ManifestNode root)
    {
        var permissions = OptionalObject(root, "permissions", "$.permissions");
        var legacyScopes = OptionalStrings(root, "zenoh_scopes", "$.zenoh_scopes");
        if (permissions is null) return legacyScopes is null ? null : new PermissionsModel(new List<InterfaceGrantModel>(), false, "none", legacyScopes);
        var grants = new List<InterfaceGrantModel>();
        if (OptionalList(permissions, "interfaces", "$.permissions.interfaces") is { } interfaces)
        {
            for (var i = 0; i < interfaces.Items!.Count; i++)
            {
                var item = interfaces.Items[i];
                var path = $"$.permissions.interfaces[{i}]";
                if (item.Kind == NodeKind.String) AddGrant(grants, ParseGrant(item, path));
                else if (item.Kind == NodeKind.Object) AddGrant(grants, ReadGrantObject(item, path));
                else Report(ManifestProblemCode.InvalidField, item.Span, path, $"an interface permission must be an object {{ transport, module_name, module_id }} or a string, got {item.Describe()}");
            }
        }
        var network = false;
        if (permissions["network"] is { IsNull: false } networkNode)
        {
            if (networkNode.Kind is NodeKind.True or NodeKind.False) network = networkNode.Kind == NodeKind.True;
            else Report(ManifestProblemCode.InvalidField, networkNode.Span, "$.permissions.network", $"'network' must be true or false, got {networkNode.Describe()}");
        }
        var storage = OptionalEnum(permissions, "storage", "$.permissions.storage", StorageModes) ?? "none";
        var scopes = OptionalStrings(permissions, "zenoh_scopes", "$.permissions.zenoh_scopes") ?? legacyScopes ?? new List<string>();
        return new PermissionsModel(grants, network, storage, scopes);
    }

    private static void AddGrant(List<InterfaceGrantModel> grants, InterfaceGrantModel? grant)
    {
        if (grant is not null) grants.Add(grant);
    }

    private InterfaceGrantModel? ParseGrant(ManifestNode item, string path)
    {
        var text = item.Text!.Trim();
        string? transport = null;
        var colon = text.IndexOf(':');
        if (colon >= 0)
        {
            transport = text.Substring(0, colon).Trim();
            text = text.Substring(colon + 1).Trim();
            if (Array.IndexOf(Transports, transport) < 0)
            {
                Report(ManifestProblemCode.InvalidField, item.Span, path, $"interface permission \"{item.Text}\": the transport must be one of {string.Join(", ", Transports)}");
                return null;
            }
        }
        string? moduleId = null;
        var slash = text.IndexOf('/');
        if (slash >= 0)
        {
            moduleId = text.Substring(slash + 1).Trim();
            text = text.Substring(0, slash).Trim();
        }
        if (text.Length == 0 || moduleId is { Length: 0 })
        {
            Report(ManifestProblemCode.InvalidField, item.Span, path, $"interface permission \"{item.Text}\" must be \"module\", \"transport:module\" or \"transport:module/id\"");
            return null;
        }
        return new InterfaceGrantModel(transport, text, moduleId);
    }

    private InterfaceGrantModel? ReadGrantObject(ManifestNode item, string path)
    {
        var transport = OptionalEnum(item, "transport", path + ".transport", Transports);
        if (transport is null && item["transport"] is null) Report(ManifestProblemCode.InvalidField, item.Span, path, "required field 'transport' of an interface permission is missing");
        var module = RequiredString(item, "module_name", path);
        var moduleId = OptionalString(item, "module_id", path + ".module_id");
        return transport is null || module is null ? null : new InterfaceGrantModel(transport, module, moduleId);
    }

    private List<ServiceExportModel>? ReadServiceExports(ManifestNode backend)
    {
        const string field = "$.entry_points.backend.service_exports";
        if (OptionalList(backend, "service_exports", field) is not { } list) return null;
        var result = new List<ServiceExportModel>();
        for (var i = 0; i < list.Items!.Count; i++)
        {
            var item = list.Items[i];
            var path = $"{field}[{i}]";
            if (item.Kind != NodeKind.Object)
            {
                Report(ManifestProblemCode.InvalidField, item.Span, path, $"a service export must be an object {{ name, service, method, passthrough, kwargs }}, got {item.Describe()}");
                continue;
            }
            var nameNode = item["name"];
            var name = nameNode is null || nameNode.IsNull ? RequiredString(item, "name", path) : CheckName(nameNode, path + ".name", "Service export");
            var service = RequiredString(item, "service", path);
            var method = RequiredString(item, "method", path);
            List<string>? passthrough = null;
            if (item["passthrough"] is { IsNull: false } pass)
            {
                if (pass.Kind == NodeKind.String && pass.Text == "*") passthrough = null;
                else if (pass.Kind == NodeKind.Array) passthrough = OptionalStrings(item, "passthrough", path + ".passthrough");
                else Report(ManifestProblemCode.InvalidField, pass.Span, path + ".passthrough", $"'passthrough' must be \"*\" or a list of keys, got {pass.Describe()}");
            }
            else
            {
                passthrough = new List<string>();
            }
            var kwargs = OptionalObject(item, "kwargs", path + ".kwargs");
            if (name is not null && service is not null && method is not null) result.Add(new ServiceExportModel(name, service, method, passthrough, kwargs));
        }
        return result;
    }

    // ---- shapes --------------------------------------------------------------------------------------------------

    private ManifestNode? OptionalObject(ManifestNode parent, string name, string path)
    {
        if (parent[name] is not { IsNull: false } value) return null;
        if (value.Kind == NodeKind.Object) return value;
        Report(ManifestProblemCode.InvalidField, value.Span, path, $"'{name}' must be an object, got {value.Describe()}");
        return null;
    }

    private ManifestNode? OptionalList(ManifestNode parent, string name, string path)
    {
        if (parent[name] is not { IsNull: false } value) return null;
        if (value.Kind == NodeKind.Array) return value;
        Report(ManifestProblemCode.InvalidField, value.Span, path, $"'{name}' must be a list, got {value.Describe()}");
        return null;
    }

    private string? OptionalString(ManifestNode parent, string name, string path)
    {
        if (parent[name] is not { IsNull: false } value) return null;
        if (value.Kind == NodeKind.String) return value.Text;
        Report(ManifestProblemCode.InvalidField, value.Span, path, $"'{name}' must be a string, got {value.Describe()}");
        return null;
    }

    private string? RequiredString(ManifestNode parent, string name, string parentPath)
    {
        var value = parent[name];
        if (value is null || value.IsNull)
        {
            Report(ManifestProblemCode.InvalidField, parent.Span, parentPath, $"required field '{name}' is missing");
            return null;
        }
        if (value.Kind == NodeKind.String && value.Text!.Trim().Length > 0) return value.Text;
        Report(ManifestProblemCode.InvalidField, value.Span, parentPath + "." + name, $"'{name}' must be a non-empty string, got {value.Describe()}");
        return null;
    }

    private List<string>? OptionalStrings(ManifestNode parent, string name, string path)
    {
        if (OptionalList(parent, name, path) is not { } list) return null;
        var result = new List<string>();
        for (var i = 0; i < list.Items!.Count; i++)
        {
            var item = list.Items[i];
            if (item.Kind == NodeKind.String) result.Add(item.Text!);
            else Report(ManifestProblemCode.InvalidField, item.Span, $"{path}[{i}]", $"'{name}' must be a list of strings, got {item.Describe()} at index {i}");
        }
        return result;
    }

    private string? OptionalEnum(ManifestNode parent, string name, string path, string[] allowed)
    {
        if (parent[name] is not { IsNull: false } value) return null;
        if (value.Kind == NodeKind.String && Array.IndexOf(allowed, value.Text) >= 0) return value.Text;
        Report(ManifestProblemCode.InvalidField, value.Span, path, $"'{name}' must be one of {string.Join(", ", allowed)}, got {value.Describe()}");
        return null;
    }

    /// <summary>
    /// A whole number that fits a long (JSON Schema counts 50.0 as an integer); never throws, whatever the text
    /// (400 digits, 1e999 ...).
    /// </summary>
    private static long? Integer(ManifestNode value)
    {
        if (value.Kind != NodeKind.Number || value.Text!.Length > 40) return null;
        if (long.TryParse(value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)) return n;
        return decimal.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d) && d >= long.MinValue && d <= long.MaxValue
            ? (long)d
            : null;
    }

    private static string ShortName(string name) => name.Length <= 40 ? name : name.Substring(0, 40) + "…";

    /// <summary>Where a missing top-level field is reported: the first key of the document.</summary>
    private static SourceSpan FirstKey(ManifestNode root) =>
        root.Properties is { Count: > 0 } properties ? properties[0].NameSpan : new SourceSpan(root.Span.Start, Math.Min(1, root.Span.Length));

    private void Report(ManifestProblemCode code, SourceSpan span, string field, string message) =>
        _problems.Add(new ManifestProblem(code, message, span, field));
}
