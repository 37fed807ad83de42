using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Vyra.Sdk.Contract;
using Vyra.Sdk.Generators.Diagnostics;
using Vyra.Sdk.Generators.Model;
using Vyra.Sdk.Generators.Naming;

namespace Vyra.Sdk.Generators.Parsing;

/// <summary>
/// Turns one <c>metadata.json</c> or upstream <c>manifest.yaml</c> into a <see cref="PluginSpec"/> and its diagnostics.
/// The manifest itself is read by the contract the kernel compiles too (<see cref="ManifestContract"/>, docs/manifest.md),
/// so a file the runtime refuses gets no proxy and the same message here; what is added on top is only what C# needs
/// (names that become identifiers, state defaults checked against their types). Pure: the same text always gives an equal result.
/// </summary>
internal sealed class ManifestParser
{
    /// <summary>Imports every runtime provides; a manifest may list them but the host interface leaves them out.</summary>
    private static readonly HashSet<string> BuiltInImports = new(StringComparer.Ordinal) { "host_log", "host_emit_event" };

    /// <summary>Members every proxy has; an export that would produce one of these names is renamed with an <c>Export</c> suffix.</summary>
    private static readonly HashSet<string> ProxyMembers = new(StringComparer.Ordinal)
    {
        "Create", "Runtime", "StartAsync", "StopAsync", "DisposeAsync", "PluginId", "PluginVersion", "PluginFolder",
        "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "ReferenceEquals",
    };

    /// <summary>Members of the generated state record a state key must not shadow.</summary>
    private static readonly HashSet<string> StateMembers = new(StringComparer.Ordinal)
    {
        "ToDictionary", "EqualityContract", "Equals", "GetHashCode", "ToString", "GetType", "Deconstruct", "PrintMembers",
        "MemberwiseClone", "Finalize", "ReferenceEquals", "Clone",
    };

    /// <summary>Upstream's manifest file name.</summary>
    public const string YamlFileName = ManifestContract.YamlFileName;

    private readonly string _path;
    private readonly SourceText _text;
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private readonly CancellationToken _cancellationToken;

    private ManifestParser(string path, SourceText text, CancellationToken cancellationToken)
    {
        _path = path;
        _text = text;
        _cancellationToken = cancellationToken;
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
        var format = ManifestContract.FormatOf(_path);
        // The kernel reads files as strict UTF-8; the compiler decodes other encodings (UTF-16, a code-page fallback)
        // silently, so a manifest it did not read as UTF-8 is refused here as the kernel refuses it.
        if (_text.Encoding is { } encoding && encoding.CodePage != 65001)
        {
            Report(format == ManifestFormat.ManifestYaml ? VyraDiagnostics.InvalidYaml : VyraDiagnostics.InvalidJson, new SourceSpan(0, 0),
                $"the manifest is not valid UTF-8 (read as {encoding.WebName})");
            return Result(null, null, EquatableArray<ExportShape>.Empty);
        }
        var result = ManifestContract.Read(_text.ToString(), format);
        _cancellationToken.ThrowIfCancellationRequested();
        foreach (var problem in result.Problems) Report(Descriptor(problem.Code), problem.Span, problem.Message);
        if (result.Model is not { } model) return Result(null, null, EquatableArray<ExportShape>.Empty);

        var idLocation = Location(model.IdNode.Span);
        var shapes = new List<ExportShape>();
        foreach (var export in model.Exports ?? new List<ExportModel>())
        {
            var signature = ExportSignature.Of(export);
            shapes.Add(new ExportShape(signature.Name, signature.Args, signature.Returns, Location(export.NameNode.Span)));
        }
        // The runtime refuses a manifest with an error; a proxy for it would only ever fail to start.
        if (result.FirstError is not null) return Result(null, idLocation, EquatableArray<ExportShape>.Empty);
        if (!model.HasBackend)
        {
            Report(VyraDiagnostics.FrontendOnly, model.IdNode.Span, model.Id);
            return Result(null, idLocation, shapes.ToEquatableArray());
        }

        var baseName = Identifiers.ToPascalCase(model.Id);
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
                Report(VyraDiagnostics.BadName, model.IdNode.Span, $"Class name \"{custom}\" cannot become a C# identifier: VyraClassName is not a valid C# identifier; the default name {className} is used");
            }
        }

        var exports = Exports(model.Exports, className);
        var state = model.InitialState is { } declared ? State(declared, baseName + "State") : StateFromInit(model.Exports, baseName + "State");
        var spec = new PluginSpec(
            _path,
            model.Id,
            model.Version,
            model.Name,
            model.Description,
            baseName,
            className,
            exports.ToEquatableArray(),
            state.ToEquatableArray(),
            Imports(model.Imports).ToEquatableArray());
        return Result(spec, idLocation, shapes.ToEquatableArray());
    }

    private ManifestParseResult Result(PluginSpec? spec, LocationInfo? idLocation, EquatableArray<ExportShape> shapes) =>
        new(_path, spec, idLocation, _diagnostics.ToEquatableArray(), shapes);

    private static DiagnosticDescriptor Descriptor(ManifestProblemCode code) => code switch
    {
        ManifestProblemCode.InvalidJson => VyraDiagnostics.InvalidJson,
        ManifestProblemCode.InvalidYaml => VyraDiagnostics.InvalidYaml,
        ManifestProblemCode.InvalidId => VyraDiagnostics.InvalidId,
        ManifestProblemCode.UnknownType => VyraDiagnostics.UnknownType,
        ManifestProblemCode.BadName => VyraDiagnostics.BadName,
        ManifestProblemCode.DuplicateExport => VyraDiagnostics.DuplicateExport,
        ManifestProblemCode.LegacyExport => VyraDiagnostics.LegacyExport,
        ManifestProblemCode.LegacyScope => VyraDiagnostics.LegacyScope,
        _ => VyraDiagnostics.InvalidField,
    };

    // ---- exports --------------------------------------------------------------------------------------------

    private List<ExportSpec> Exports(List<ExportModel>? exports, string className)
    {
        var result = new List<ExportSpec>();
        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var export in exports ?? new List<ExportModel>())
        {
            _cancellationToken.ThrowIfCancellationRequested();
            // A name-only export has no signature to type (the contract warned, VYRA009); it stays callable through the runtime.
            if (export.Args is null) continue;
            if (!CSharpName(export.Name, export.NameNode.Span, "Export")) continue;
            var parameters = Parameters(export.Args);
            if (parameters is null) continue;
            var methodName = Identifiers.ToPascalCase(export.Name);
            if (ProxyMembers.Contains(methodName) || ProxyMembers.Contains(methodName + "Async") || methodName == className || methodName + "Async" == className)
            {
                methodName += "Export";
            }
            // Each export owns four members: the pair callers see and the two private paths behind them.
            var owned = new[] { methodName, methodName + "Async", methodName + "Typed", methodName + "ViaRuntimeAsync" };
            string? owner = null;
            if (Array.Exists(owned, m => members.TryGetValue(m, out owner)))
            {
                Report(VyraDiagnostics.NameCollision, export.NameNode.Span, "Export", export.Name, methodName, owner!);
                continue;
            }
            foreach (var member in owned) members[member] = $"export '{export.Name}'";

            var tokenName = "cancellationToken";
            while (parameters.Exists(p => p.Name == tokenName)) tokenName += "_";
            result.Add(new ExportSpec(
                export.Name,
                methodName,
                export.Description,
                parameters.ToEquatableArray(),
                (export.Returns ?? new List<PluginValueType> { PluginValueType.I32 }).ToEquatableArray(),
                export.Returns is not null,
                tokenName));
        }
        return result;
    }

    /// <summary>C# parameters for declared arguments; null when two of them map to one C# name.</summary>
    private List<ParameterSpec>? Parameters(List<ArgModel> args)
    {
        var parameters = new List<ParameterSpec>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var ok = true;
        foreach (var arg in args)
        {
            if (!CSharpName(arg.Name, arg.NameNode.Span, "Argument"))
            {
                ok = false;
                continue;
            }
            var parameterName = Identifiers.ToCamelCase(arg.Name);
            if (names.TryGetValue(parameterName, out var other))
            {
                Report(VyraDiagnostics.NameCollision, arg.NameNode.Span, "Argument", arg.Name, parameterName, $"argument '{other}'");
                ok = false;
                continue;
            }
            names[parameterName] = arg.Name;
            parameters.Add(new ParameterSpec(arg.Name, Identifiers.Escape(parameterName), arg.Type));
        }
        return ok ? parameters : null;
    }

    /// <summary>A manifest name (already an identifier by the contract) must also leave a C# name after casing.</summary>
    private bool CSharpName(string name, SourceSpan span, string what)
    {
        if (Identifiers.ToPascalCase(name).Length > 0) return true;
        Report(VyraDiagnostics.BadName, span, $"{what} name \"{name}\" cannot become a C# identifier: it needs at least one letter or digit");
        return false;
    }

    // ---- initial_state ----------------------------------------------------------------------------------------

    private List<StateFieldSpec> State(List<StateModel> state, string stateName)
    {
        var result = new List<StateFieldSpec>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in state)
        {
            if (StateName(entry.Key, entry.KeySpan, stateName, names) is not { } propertyName) continue;
            var type = entry.Type ?? InferType(entry.Default);
            if (Default(entry.Key, type, entry.Default) is not { } value) continue;
            result.Add(new StateFieldSpec(entry.Key, propertyName, type, value));
        }
        return result;
    }

    /// <summary>
    /// Upstream manifests declare no <c>initial_state</c>, yet <c>init</c> takes arguments: then the state record has
    /// one property per argument of a declared <c>init</c>, each defaulting to zero (docs/generator.md).
    /// </summary>
    private List<StateFieldSpec> StateFromInit(List<ExportModel>? exports, string stateName)
    {
        var result = new List<StateFieldSpec>();
        var init = exports?.Find(e => e.Name == "init");
        if (init?.Args is null) return result;
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var arg in init.Args)
        {
            if (StateName(arg.Name, arg.NameNode.Span, stateName, names) is not { } propertyName) continue;
            result.Add(new StateFieldSpec(arg.Name, propertyName, arg.Type, StateDefault.Zero));
        }
        return result;
    }

    private string? StateName(string key, SourceSpan span, string stateName, Dictionary<string, string> names)
    {
        var propertyName = Identifiers.ToPascalCase(key);
        if (propertyName.Length == 0)
        {
            Report(VyraDiagnostics.BadName, span, $"State key name \"{key}\" cannot become a C# identifier: it needs at least one letter or digit");
            return null;
        }
        if (StateMembers.Contains(propertyName) || propertyName == stateName)
        {
            Report(VyraDiagnostics.NameCollision, span, "State key", key, propertyName, $"a member of {stateName}");
            return null;
        }
        if (names.TryGetValue(propertyName, out var other))
        {
            Report(VyraDiagnostics.NameCollision, span, "State key", key, propertyName, $"state key '{other}'");
            return null;
        }
        names[propertyName] = key;
        return propertyName;
    }

    private static PluginValueType InferType(ManifestNode? value) => value?.Kind switch
    {
        NodeKind.Number => value.Text!.IndexOfAny(new[] { '.', 'e', 'E' }) >= 0 ? PluginValueType.F64
            : int.TryParse(value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? PluginValueType.I32 : PluginValueType.I64,
        NodeKind.String => PluginValueType.String,
        NodeKind.True or NodeKind.False => PluginValueType.Bool,
        _ => PluginValueType.Json,
    };

    /// <summary>
    /// A state default checked against its type, as a value (<see cref="StateDefault"/>); null when reported. The C#
    /// text is the emitter's business (<c>Emit/StateDefaultLiterals</c>).
    /// </summary>
    private StateDefault? Default(string key, PluginValueType type, ManifestNode? value)
    {
        if (value is null || value.IsNull) return StateDefault.Zero;
        StateDefault? Mismatch()
        {
            Report(VyraDiagnostics.InvalidField, value.Span, $"the default of state key '{key}' must be {Article(type)} value, got {value.Describe()}");
            return null;
        }
        var isInteger = value.Kind == NodeKind.Number && value.Text!.IndexOfAny(new[] { '.', 'e', 'E' }) < 0;
        switch (type)
        {
            case PluginValueType.I32:
                return isInteger && int.TryParse(value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i32)
                    ? new StateDefault(i32.ToString(CultureInfo.InvariantCulture)) : Mismatch();
            case PluginValueType.I64:
                return isInteger && long.TryParse(value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i64)
                    ? new StateDefault(i64.ToString(CultureInfo.InvariantCulture)) : Mismatch();
            case PluginValueType.F32:
                return value.Kind == NodeKind.Number && float.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f32) && !float.IsInfinity(f32)
                    ? new StateDefault(value.Text!) : Mismatch();
            case PluginValueType.F64:
                return value.Kind == NodeKind.Number && double.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f64) && !double.IsInfinity(f64)
                    ? new StateDefault(value.Text!) : Mismatch();
            case PluginValueType.Bool:
                return value.Kind == NodeKind.True ? new StateDefault("true") : value.Kind == NodeKind.False ? new StateDefault("false") : Mismatch();
            case PluginValueType.String:
                return value.Kind == NodeKind.String ? new StateDefault(value.Text!) : Mismatch();
            case PluginValueType.Bytes:
                if (value.Kind != NodeKind.String) return Mismatch();
                try
                {
                    Convert.FromBase64String(value.Text!);
                }
                catch (FormatException)
                {
                    Report(VyraDiagnostics.InvalidField, value.Span, $"the default of bytes state key '{key}' must be base64 text");
                    return null;
                }
                return new StateDefault(value.Text!);
            default:
                // JSON text for the runtime, written from the tree (the same for metadata.json and manifest.yaml).
                return new StateDefault(ManifestNodeText.Write(value));
        }
    }

    private static string Article(PluginValueType type) => type.IsUpstreamArgumentType() ? "an " + type.ToManifestName() : "a " + type.ToManifestName();

    // ---- imports ------------------------------------------------------------------------------------------------

    private List<ImportSpec> Imports(List<ImportModel>? imports)
    {
        var result = new List<ImportSpec>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var import in imports ?? new List<ImportModel>())
        {
            // Bare names and the built-ins get no host-interface method: the runtime provides or resolves them.
            if (import.Args is null) continue;
            if (BuiltInImports.Contains(import.Name)) continue;
            if (!seen.Add(import.Name))
            {
                Report(VyraDiagnostics.NameCollision, import.NameNode.Span, "Import", import.Name, import.Name, "an earlier import");
                continue;
            }
            var parameters = Parameters(import.Args ?? new List<ArgModel>());
            if (parameters is null) continue;
            result.Add(new ImportSpec(import.Name, parameters.ToEquatableArray(), (import.Returns ?? new List<PluginValueType>()).ToEquatableArray()));
        }
        return result;
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private LocationInfo Location(SourceSpan span) => LocationInfo.From(_path, _text, new TextSpan(Math.Min(span.Start, _text.Length), Math.Max(0, Math.Min(span.Length, _text.Length - Math.Min(span.Start, _text.Length)))));

    private void Report(DiagnosticDescriptor descriptor, SourceSpan span, params string[] args) =>
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, Location(span), args));
}
