using Wasmtime;

namespace Vyra.Sdk;

/// <summary>A callable export with its ABI types, checked against the module.</summary>
internal sealed record ExportSpec(string Name, IReadOnlyList<ArgDeclaration> Args, IReadOnlyList<PluginValueType> Returns)
{
    public bool UsesMemory => Args.Any(a => a.Type.IsMemoryValue()) || Returns.Any(r => r.IsMemoryValue());

    public int WasmParameterCount => Args.Sum(a => a.Type.WasmSlots());
}

/// <summary>The host imports a module uses, each resolved to its definition and import module name.</summary>
internal sealed record ResolvedImport(string ModuleName, HostImport Definition);

/// <summary>
/// Checks a module against its manifest and the host before anything runs (the Python runtime found these
/// problems only at call time): every declared export exists with the declared signature, memory values have
/// <c>memory</c> and <c>vyra_alloc</c>, and every import is provided by the host (and declared, when the manifest
/// lists imports). All problems are reported together.
/// </summary>
internal sealed class ModuleContract
{
    private static readonly HashSet<string> ReservedExports = new(StringComparer.Ordinal)
    {
        "vyra_alloc", "vyra_free", "_initialize", "_start", "on_event", "on_request", "memory",
    };

    /// <summary>
    /// The ABI's and the toolchains' own exports: never callable by name, declared or not. Calling <c>vyra_alloc</c> or
    /// <c>_initialize</c> from outside would let a caller corrupt the guest's heap or re-run its constructors.
    /// </summary>
    internal static bool IsInternal(string name) =>
        ReservedExports.Contains(name) || name.StartsWith("vyra_", StringComparison.Ordinal) || name.StartsWith("__", StringComparison.Ordinal);

    private static readonly ExportSpec OnEventSpec = new("on_event", [new("name", PluginValueType.String), new("data", PluginValueType.Json)], []);

    private static readonly ExportSpec OnRequestSpec = new("on_request", [new("service", PluginValueType.String), new("data", PluginValueType.Json)], [PluginValueType.Json]);

    private ModuleContract(IReadOnlyDictionary<string, ExportSpec> exports, ExportSpec? onEvent, ExportSpec? onRequest, IReadOnlyList<ResolvedImport> imports)
    {
        Exports = exports;
        OnEvent = onEvent;
        OnRequest = onRequest;
        Imports = imports;
    }

    /// <summary>
    /// The functions callable by name: those the manifest declares. A manifest without <c>exports</c> (or no manifest)
    /// declares none, so only <c>ping</c> answers (VYRA's rule), unless the host allows undeclared exports for development.
    /// </summary>
    public IReadOnlyDictionary<string, ExportSpec> Exports { get; }

    /// <summary>The <c>on_event</c> handler, when the module exports one.</summary>
    public ExportSpec? OnEvent { get; }

    /// <summary>The <c>on_request</c> handler (requests to the services the plugin serves), when the module exports one.</summary>
    public ExportSpec? OnRequest { get; }

    /// <summary>The host functions to link.</summary>
    public IReadOnlyList<ResolvedImport> Imports { get; }

    /// <summary>
    /// This contract's checked exports with other host functions of the same names and signatures (another runtime's
    /// host): a start reuses a check made for an earlier one (<see cref="StartPreparation"/>) without its handlers.
    /// </summary>
    internal ModuleContract WithImports(IReadOnlyList<ResolvedImport> imports) => new(Exports, OnEvent, OnRequest, imports);

    public static ModuleContract Check(PluginManifest? manifest, Module module, string modulePath, HostImportRegistry host, bool wasiGranted = false, bool allowUndeclaredExports = false)
    {
        var problems = new List<string>();
        var functions = new Dictionary<string, FunctionExport>(StringComparer.Ordinal);
        var hasMemory = false;
        foreach (var export in module.Exports)
        {
            if (export is FunctionExport f) functions[f.Name] = f;
            else if (export is MemoryExport && export.Name == "memory") hasMemory = true;
        }

        var exports = new Dictionary<string, ExportSpec>(StringComparer.Ordinal);
        if (manifest?.Exports is { } declared)
        {
            foreach (var declaration in declared)
            {
                // on_event is the one ABI export a manifest may declare callable: it only handles events, which anyone
                // may send, and generated proxies call it directly. Undeclared, it is reached through OnEventAsync only.
                if (declaration.Name is not ("on_event" or "on_request") && IsInternal(declaration.Name))
                {
                    problems.Add($"export '{declaration.Name}' is internal to the plugin ABI or its toolchain and cannot be declared callable");
                    continue;
                }
                if (!functions.TryGetValue(declaration.Name, out var function))
                {
                    problems.Add($"export '{declaration.Name}' is declared in the manifest but the module does not export a function of that name");
                    continue;
                }
                if (Bind(declaration, function, problems) is { } spec) exports[spec.Name] = spec;
            }
        }
        else if (allowUndeclaredExports)
        {
            // Development opt-in: every plain function export is callable with its wasm signature, internal ones excepted.
            foreach (var function in functions.Values)
            {
                if (IsInternal(function.Name)) continue;
                if (Bind(new ExportDeclaration(function.Name, null, null), function, problems) is { } spec) exports[spec.Name] = spec;
            }
        }

        ExportSpec? onEvent = null;
        if (functions.TryGetValue("on_event", out var handler))
        {
            var expected = WasmSignature.LowerParameters(OnEventSpec.Args.Select(a => a.Type));
            if (WasmSignature.SameKinds(handler.Parameters, expected) && handler.Results.Count == 0) onEvent = OnEventSpec;
            else problems.Add($"export 'on_event' must be (name: string, data: json) = wasm {WasmSignature.Format(expected, [])}, but the module has {WasmSignature.Format(handler.Parameters, handler.Results)}");
        }

        ExportSpec? onRequest = null;
        if (functions.TryGetValue("on_request", out var server))
        {
            var expected = WasmSignature.LowerParameters(OnRequestSpec.Args.Select(a => a.Type));
            var results = WasmSignature.LowerResults(OnRequestSpec.Returns);
            if (WasmSignature.SameKinds(server.Parameters, expected) && WasmSignature.SameKinds(server.Results, results)) onRequest = OnRequestSpec;
            else problems.Add($"export 'on_request' must be (service: string, data: json) -> json = wasm {WasmSignature.Format(expected, results)}, but the module has {WasmSignature.Format(server.Parameters, server.Results)}");
        }

        if (exports.Values.Any(e => e.UsesMemory) || onEvent is not null || onRequest is not null)
        {
            if (!hasMemory) problems.Add("the plugin passes strings, bytes or json but the module exports no 'memory'");
            if (!functions.TryGetValue("vyra_alloc", out var alloc)) problems.Add("the plugin passes strings, bytes or json but the module exports no 'vyra_alloc(len: i32) -> i32'");
            else if (!WasmSignature.SameKinds(alloc.Parameters, [ValueKind.Int32]) || !WasmSignature.SameKinds(alloc.Results, [ValueKind.Int32]))
                problems.Add($"export 'vyra_alloc' must be (i32) -> i32, but the module has {WasmSignature.Format(alloc.Parameters, alloc.Results)}");
            if (functions.TryGetValue("vyra_free", out var free) && (!WasmSignature.SameKinds(free.Parameters, [ValueKind.Int32, ValueKind.Int32]) || free.Results.Count != 0))
                problems.Add($"export 'vyra_free' must be (i32, i32), but the module has {WasmSignature.Format(free.Parameters, free.Results)}");
        }

        var imports = ResolveImports(manifest, module, host, wasiGranted, problems);

        if (problems.Count > 0)
        {
            var source = manifest?.SourcePath is { } m ? $"{modulePath} (manifest {m})" : modulePath;
            throw new PluginLoadException($"{source}: the module does not fit its manifest or host:\n  - " + string.Join("\n  - ", problems), modulePath);
        }
        return new ModuleContract(exports, onEvent, onRequest, imports);
    }

    private static ExportSpec? Bind(ExportDeclaration declaration, FunctionExport function, List<string> problems)
    {
        var actual = WasmSignature.Format(function.Parameters, function.Results);
        if (declaration.Args is null)
        {
            // Legacy or undeclared: the module's own signature, which must use plugin value types only.
            if (!function.Parameters.Concat(function.Results).All(WasmSignature.IsPluginKind))
            {
                problems.Add($"export '{declaration.Name}' has a signature outside the plugin ABI: {actual}");
                return null;
            }
            var args = function.Parameters.Select((k, i) => new ArgDeclaration($"arg{i}", WasmSignature.Raise(k))).ToList();
            return new ExportSpec(declaration.Name, args, function.Results.Select(WasmSignature.Raise).ToList());
        }

        var expectedParams = WasmSignature.LowerParameters(declaration.Args.Select(a => a.Type));
        var declaredText = "(" + string.Join(", ", declaration.Args.Select(a => $"{a.Name}: {a.Type.ToManifestName()}")) + ")";
        if (!WasmSignature.SameKinds(function.Parameters, expectedParams))
        {
            problems.Add($"export '{declaration.Name}': the manifest declares {declaredText}, i.e. wasm parameters {WasmSignature.Format(expectedParams, [])}, but the module has {actual}");
            return null;
        }
        if (declaration.Returns is { } returns)
        {
            var expectedResults = WasmSignature.LowerResults(returns);
            if (!WasmSignature.SameKinds(function.Results, expectedResults))
            {
                var declaredReturns = returns.Count == 0 ? "void" : string.Join(", ", returns.Select(r => r.ToManifestName()));
                problems.Add($"export '{declaration.Name}': the manifest declares returns {declaredReturns}, i.e. wasm results {WasmSignature.Format([], expectedResults)}, but the module has {actual}");
                return null;
            }
            return new ExportSpec(declaration.Name, declaration.Args, returns);
        }
        if (!function.Results.All(WasmSignature.IsPluginKind))
        {
            problems.Add($"export '{declaration.Name}' returns {actual}, outside the plugin ABI; declare \"returns\" in the manifest");
            return null;
        }
        return new ExportSpec(declaration.Name, declaration.Args, function.Results.Select(WasmSignature.Raise).ToList());
    }

    private static List<ResolvedImport> ResolveImports(PluginManifest? manifest, Module module, HostImportRegistry host, bool wasiGranted, List<string> problems)
    {
        var resolved = new List<ResolvedImport>();
        var declared = manifest?.Imports?.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var import in module.Imports)
        {
            var label = $"'{import.ModuleName}.{import.Name}'";
            if (import is not FunctionImport function)
            {
                problems.Add($"import {label} is not a function; plugins may import only host functions");
                continue;
            }
            if (import.ModuleName == WasiGrants.ModuleName)
            {
                // Provided by Wasmtime's WASI when granted; an unknown WASI name then fails instantiation, naming it.
                if (!wasiGranted) problems.Add($"import {label} is WASI, which the runtime's options do not grant (PluginRuntimeOptions.Wasi)");
                continue;
            }
            if (import.ModuleName is not ("vyra" or "env"))
            {
                problems.Add($"import {label} comes from module '{import.ModuleName}'; host functions are provided in 'vyra' or 'env'");
                continue;
            }
            if (declared is not null && !declared.Contains(import.Name))
            {
                problems.Add($"import {label} is not declared in the manifest's \"imports\"");
                continue;
            }
            if (!host.TryGet(import.Name, out var definition))
            {
                problems.Add($"import {label} is not provided by the host");
                continue;
            }
            if (!WasmSignature.SameKinds(function.Parameters, definition.WasmParameters) || !WasmSignature.SameKinds(function.Results, definition.WasmResults))
            {
                problems.Add($"import {label} has type {WasmSignature.Format(function.Parameters, function.Results)} but the host provides {definition.WasmSignatureText}");
                continue;
            }
            resolved.Add(new ResolvedImport(import.ModuleName, definition));
        }
        return resolved;
    }
}
