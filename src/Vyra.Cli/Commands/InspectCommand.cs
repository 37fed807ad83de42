using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Vyra.Cli.Infrastructure;
using Vyra.Sdk;
using Wasmtime;

namespace Vyra.Cli.Commands;

/// <summary>
/// <c>vyra inspect &lt;plugin-dir|file&gt;</c>: the manifest, the module's real imports and exports, and every mismatch
/// between them. The check is the one a start runs (a <see cref="WasmRuntime"/> is started and stopped), so the rules
/// are the kernel's, not a copy.
/// </summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var plugin = new Argument<string>("plugin") { Description = "A plugin folder (<pool>/<id>/<version>, or <pool>/<id> for its highest version) or a .wasm/.wat module file." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Also print the runtime's log on standard error." };
        var json = JsonMode.CreateOption();
        var command = new Command("inspect", "Show a plugin's manifest, the module's real imports and exports, and every mismatch between them; " +
            "1 when the module does not fit its manifest and the default host (or cannot be read). " + ExitCodes.SeeTable)
        {
            plugin, verbose, json,
        };
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(() => result.GetValue(json)
            ? RunJsonAsync(result.GetRequiredValue(plugin), result.GetValue(verbose), cancellationToken)
            : RunAsync(result.GetRequiredValue(plugin), result.GetValue(verbose), cancellationToken), result.GetValue(json)));
        return command;
    }

    private static async Task<int> RunAsync(string path, bool verbose, CancellationToken cancellationToken)
    {
        var location = PluginLocation.Resolve(path);
        var ok = true;
        var output = Console.Out;

        PluginManifest? manifest = null;
        output.WriteLine($"module    {location.ModulePath} ({new FileInfo(location.ModulePath).Length.ToString(CultureInfo.InvariantCulture)} bytes)");
        if (!location.HasManifest)
        {
            output.WriteLine($"manifest  none (neither {ManifestReader.YamlFileName} nor {ManifestReader.FileName}: only ping answers unless undeclared exports are allowed)");
        }
        else
        {
            output.WriteLine($"manifest  {location.ManifestPath}{(location.HasBothManifests ? $" (the folder's {ManifestReader.FileName} must agree with it)" : "")}");
            try
            {
                // Read as the runtime reads it: the folder's choice of file, and the agreement check when both exist.
                manifest = ManifestReader.ReadFolder(location.Directory) ?? ManifestReader.ReadFile(location.ManifestPath);
            }
            catch (PluginLoadException ex)
            {
                ok = false;
                output.WriteLine();
                output.WriteLine("✗ the manifest is invalid:");
                WriteIndented(output, ex.Message, "    ");
                if (ex.Field is { } field) output.WriteLine($"    (field {field}{(ex.Line is { } line ? $", line {line}" : "")})");
            }
        }
        if (manifest is not null) WriteManifest(output, manifest);

        output.WriteLine();
        WasmModuleInfo? module = null;
        try
        {
            module = WasmModuleInfo.Load(location.ModulePath);
        }
        catch (WasmtimeException ex)
        {
            ok = false;
            output.WriteLine("✗ the module cannot be compiled:");
            WriteIndented(output, ex.Message, "    ");
        }
        if (module is not null)
        {
            using (module)
            {
                output.WriteLine("module exports");
                WriteList(output, module.DescribeExports().ToList());
                output.WriteLine("module imports");
                WriteList(output, module.DescribeImports().ToList());
            }
        }
        if (!ok) return ExitCodes.Failed;

        // The start's own check: manifest ↔ module ↔ default host, all problems at once.
        output.WriteLine();
        var runtime = new WasmRuntime(manifest?.Id ?? location.FallbackId, location.ModulePath, new ConsoleHost(quiet: !verbose),
            options: new PluginRuntimeOptions { LoggerFactory = CommandRunner.Logging(verbose) });
        try
        {
            await runtime.StartAsync(cancellationToken).ConfigureAwait(false);
            output.WriteLine($"✓ the module fits its {(manifest is null ? "wasm signatures" : "manifest")} and the default host (it starts{(runtime.Manifest?.InitialState.Count > 0 ? " and init runs" : "")})");
            return ExitCodes.Ok;
        }
        catch (PluginLoadException ex)
        {
            output.WriteLine("✗ mismatch: a start fails with");
            WriteIndented(output, ex.Message, "    ");
            return ExitCodes.Failed;
        }
        finally
        {
            await runtime.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The same three checks as the text report (manifest, module, start), as one document (docs/cli.md):
    /// <c>ok</c>, <c>module</c>, <c>manifest</c> and every problem with the stage that found it.
    /// </summary>
    private static async Task<int> RunJsonAsync(string path, bool verbose, CancellationToken cancellationToken)
    {
        var location = PluginLocation.Resolve(path);
        var problems = new List<Dictionary<string, object?>>();

        Dictionary<string, object?>? manifestDoc = null;
        PluginManifest? manifest = null;
        if (location.HasManifest)
        {
            manifestDoc = new() { ["path"] = location.ManifestPath, ["both_files"] = location.HasBothManifests, ["valid"] = false };
            try
            {
                manifest = ManifestReader.ReadFolder(location.Directory) ?? ManifestReader.ReadFile(location.ManifestPath);
                manifestDoc["valid"] = true;
                foreach (var (key, value) in ManifestDocument(manifest)) manifestDoc[key] = value;
            }
            catch (PluginLoadException ex)
            {
                problems.Add(Problem("manifest", ex.Message, ex.Field, ex.Line));
            }
        }

        var moduleDoc = new Dictionary<string, object?>
        {
            ["path"] = location.ModulePath,
            ["bytes"] = new FileInfo(location.ModulePath).Length,
            ["compiles"] = false,
            ["exports"] = null,
            ["imports"] = null,
        };
        try
        {
            using var module = WasmModuleInfo.Load(location.ModulePath);
            moduleDoc["compiles"] = true;
            moduleDoc["exports"] = module.Module.Exports.Select(WasmModuleInfo.Entry).ToList();
            moduleDoc["imports"] = module.Module.Imports.Select(WasmModuleInfo.Entry).ToList();
        }
        catch (WasmtimeException ex)
        {
            problems.Add(Problem("module", ex.Message));
        }

        bool? starts = null;
        if (problems.Count == 0)
        {
            var runtime = new WasmRuntime(manifest?.Id ?? location.FallbackId, location.ModulePath, new ConsoleHost(quiet: !verbose),
                options: new PluginRuntimeOptions { LoggerFactory = CommandRunner.Logging(verbose) });
            try
            {
                await runtime.StartAsync(cancellationToken).ConfigureAwait(false);
                starts = true;
            }
            catch (PluginLoadException ex)
            {
                starts = false;
                problems.Add(Problem("start", ex.Message));
            }
            finally
            {
                await runtime.DisposeAsync().ConfigureAwait(false);
            }
        }

        JsonMode.Write(new Dictionary<string, object?>
        {
            ["ok"] = problems.Count == 0,
            ["starts"] = starts,
            ["module"] = moduleDoc,
            ["manifest"] = manifestDoc,
            ["problems"] = problems,
        });
        return problems.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static Dictionary<string, object?> Problem(string stage, string message, string? field = null, int? line = null) => new()
    {
        ["stage"] = stage,
        ["message"] = message,
        ["field"] = field,
        ["line"] = line,
    };

    private static Dictionary<string, object?> ManifestDocument(PluginManifest manifest) => new()
    {
        ["id"] = manifest.Id,
        ["version"] = manifest.Version,
        ["name"] = manifest.Name,
        ["description"] = manifest.Description,
        ["scope"] = manifest.Scope is { } scope
            ? new Dictionary<string, object?> { ["type"] = scope.Type, ["target"] = scope.Target, ["owner_module"] = scope.OwnerModule }
            : null,
        ["backend"] = manifest.HasBackend,
        ["checksum"] = manifest.Checksum,
        ["warnings"] = manifest.Warnings.ToList(),
        ["exports"] = manifest.Exports?.Select(e => Signature(e.Name, e.IsLegacy ? null : e.Args, e.IsLegacy ? null : e.Returns)).ToList(),
        ["imports"] = manifest.Imports?.Select(i => Signature(i.Name, i.Args, i.Returns)).ToList(),
        ["initial_state"] = manifest.InitialState.Select(entry => new Dictionary<string, object?>
        {
            ["key"] = entry.Key,
            ["type"] = entry.Type?.ToManifestName(),
            ["default"] = entry.Default,
        }).ToList(),
        ["events"] = manifest.Events?.ToList(),
        ["limits"] = new Dictionary<string, object?>
        {
            ["memory_mb"] = manifest.Limits.MemoryMb,
            ["timeout_ms"] = manifest.Limits.TimeoutMs,
            ["fuel"] = manifest.Limits.Fuel,
        },
    };

    // Unknown parts are null: a name-only export takes the module's signature, an import may leave its returns open.
    private static Dictionary<string, object?> Signature(string name, IReadOnlyList<ArgDeclaration>? args, IReadOnlyList<PluginValueType>? returns) => new()
    {
        ["name"] = name,
        ["args"] = args?.Select(a => new Dictionary<string, object?> { ["name"] = a.Name, ["type"] = a.Type.ToManifestName() }).ToList(),
        ["returns"] = returns?.Select(r => r.ToManifestName()).ToList(),
    };

    private static void WriteManifest(TextWriter output, PluginManifest manifest)
    {
        output.WriteLine($"id        {manifest.Id}");
        output.WriteLine($"version   {manifest.Version ?? "(none)"}");
        if (manifest.Name is not null) output.WriteLine($"name      {manifest.Name}");
        if (manifest.Description is not null) output.WriteLine($"about     {manifest.Description.Trim()}");
        if (manifest.Scope is { } scope) output.WriteLine($"scope     {scope.Type}{(scope.Target is null ? "" : " " + scope.Target)}{(scope.OwnerModule is null ? "" : $" (owner {scope.OwnerModule})")}");
        if (!manifest.HasBackend) output.WriteLine("backend   none (frontend-only: nothing runs here)");
        if (manifest.Checksum is not null) output.WriteLine($"checksum  {manifest.Checksum}");
        foreach (var warning in manifest.Warnings) output.WriteLine($"warning   {warning}");

        output.WriteLine();
        if (manifest.Exports is null)
        {
            output.WriteLine("exports   (not declared: only ping answers, unless undeclared exports are allowed for development)");
        }
        else
        {
            output.WriteLine("exports");
            WriteList(output, manifest.Exports.Select(FormatExport).ToList());
        }
        if (manifest.Imports is null)
        {
            output.WriteLine("imports   (not declared: any function the host provides)");
        }
        else
        {
            output.WriteLine("imports");
            WriteList(output, manifest.Imports.Select(FormatImport).ToList());
        }
        output.WriteLine("initial_state");
        WriteList(output, manifest.InitialState.Select(FormatState).ToList());
        output.WriteLine(manifest.Events is null ? "events    (all)" : $"events    {(manifest.Events.Count == 0 ? "(none)" : string.Join(", ", manifest.Events))}");
        var limits = manifest.Limits;
        output.WriteLine("limits    " + string.Join(", ",
            limits.MemoryMb is { } mb ? $"memory {mb.ToString(CultureInfo.InvariantCulture)} MiB" : "memory (wasm's own 4 GiB)",
            limits.TimeoutMs is { } ms ? $"timeout {ms.ToString(CultureInfo.InvariantCulture)} ms" : $"timeout (default {PluginRuntimeOptions.DefaultTimeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms)",
            limits.Fuel is { } fuel ? $"fuel {fuel.ToString(CultureInfo.InvariantCulture)}" : "fuel (unmetered)"));
    }

    private static string FormatExport(ExportDeclaration export)
    {
        if (export.IsLegacy) return $"{export.Name}  (name only: the module's signature is used)";
        return export.Name + FormatSignature(export.Args, export.Returns, "(from the module)");
    }

    private static string FormatImport(ImportDeclaration import) =>
        import.Args is null && import.Returns is null ? $"{import.Name}  (name only)" : import.Name + FormatSignature(import.Args, import.Returns, "(not declared)");

    private static string FormatSignature(IReadOnlyList<ArgDeclaration>? args, IReadOnlyList<PluginValueType>? returns, string unknownReturns)
    {
        var parameters = args is null ? "(?)" : "(" + string.Join(", ", args.Select(a => $"{a.Name}: {a.Type.ToManifestName()}")) + ")";
        var results = returns switch
        {
            null => unknownReturns,
            { Count: 0 } => "void",
            { Count: 1 } => returns[0].ToManifestName(),
            _ => "(" + string.Join(", ", returns.Select(r => r.ToManifestName())) + ")",
        };
        return $"{parameters} -> {results}";
    }

    private static string FormatState(StateEntry entry)
    {
        var type = entry.Type is { } t ? $": {t.ToManifestName()}" : "";
        var value = entry.Default is { } d ? " = " + d.GetRawText() : "";
        return entry.Key + type + value;
    }

    private static void WriteList(TextWriter output, IReadOnlyList<string> lines)
    {
        if (lines.Count == 0) output.WriteLine("  (none)");
        foreach (var line in lines) output.WriteLine("  " + line);
    }

    private static void WriteIndented(TextWriter output, string text, string indent)
    {
        foreach (var line in text.Split('\n')) output.WriteLine(indent + line.TrimEnd('\r'));
    }
}
