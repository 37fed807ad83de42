using System.ComponentModel;
using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

// The factory: the one place that knows both backends. It is a part of PluginRuntime (generated proxies call
// PluginRuntime.Create) kept in its own layer, above the backends it chooses from; the façade's file names neither.
public abstract partial class PluginRuntime
{
    /// <summary>
    /// Creates a runtime by VYRA's rule, with one addition: <see cref="ComponentRuntime"/> when the folder's manifest has a
    /// <c>component</c> block (docs/components.md); else <see cref="WasmRuntime"/> when <paramref name="wasmPath"/> is a wasm or wat
    /// module; <see cref="ServiceExportRuntime"/> (service-export mode) when there is no module file and the folder's
    /// manifest declares <c>service_exports</c>; otherwise <see cref="StubRuntime"/>. <see cref="PluginRuntimeOptions.PreferStub"/> asks for the stub;
    /// a missing or unusable module falls back to it as <see cref="PluginRuntimeOptions.StubFallback"/> says (by
    /// default with a warning naming the file and the reason; <see cref="StubFallback.Refuse"/> throws instead).
    /// </summary>
    /// <exception cref="PluginLoadException">The module is missing or unusable and the options refuse the stub fallback.</exception>
    public static PluginRuntime Create(
        string pluginId,
        string wasmPath,
        IHostFunctions? host = null,
        IReadOnlyDictionary<string, object?>? initialState = null,
        PluginRuntimeOptions? options = null) =>
        Create(pluginId, wasmPath, host, initialState, preferStub: false, options);

    /// <summary>
    /// The older form of <see cref="Create(string, string, IHostFunctions?, IReadOnlyDictionary{string, object?}?, PluginRuntimeOptions?)"/>,
    /// still called by generated proxies: <paramref name="preferStub"/> true has the effect of
    /// <see cref="PluginRuntimeOptions.PreferStub"/>. New code sets the option instead.
    /// </summary>
    /// <exception cref="PluginLoadException">The module is missing or unusable and the options refuse the stub fallback.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static PluginRuntime Create(
        string pluginId,
        string wasmPath,
        IHostFunctions? host,
        IReadOnlyDictionary<string, object?>? initialState,
        bool preferStub,
        PluginRuntimeOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginId);
        var fallback = options?.StubFallback ?? StubFallback.Warn;
        if (!Enum.IsDefined(fallback))
            throw new ArgumentOutOfRangeException(nameof(options), fallback, "PluginRuntimeOptions.StubFallback must be Warn, Allow or Refuse");
        if (preferStub || options?.PreferStub == true)
        {
            var preferred = new StubRuntime(pluginId, host, initialState, options);
            preferred.Logger.LogInformation("Plugin {PluginId} uses the stub runtime: the stub backend was requested (PreferStub)", pluginId);
            return preferred;
        }
        // A manifest with a component block runs its module as a component (docs/components.md); whether the file
        // really is one is checked by the start, which names the mismatch.
        if (DeclaresComponent(wasmPath)) return new ComponentRuntime(pluginId, wasmPath, host, options);
        var reason = ModuleFile.WhyNotAModule(wasmPath) is { } why ? FrontendOnly(wasmPath) ?? why : null;
        if (reason is null) return new WasmRuntime(pluginId, wasmPath, host, initialState, options);
        if (ServiceExportRuntime.ServesFolderOf(wasmPath) is { } folder) return new ServiceExportRuntime(pluginId, folder, host, options);
        var module = string.IsNullOrEmpty(wasmPath) ? "(no module path)" : wasmPath;
        if (fallback == StubFallback.Refuse)
            throw new PluginLoadException(
                $"[{pluginId}] cannot load '{module}': {reason}; the stub fallback is refused (PluginRuntimeOptions.StubFallback = Refuse)",
                string.IsNullOrEmpty(wasmPath) ? null : wasmPath);
        var stub = new StubRuntime(pluginId, host, initialState, options);
        stub.Logger.Log(
            fallback == StubFallback.Warn ? LogLevel.Warning : LogLevel.Information,
            "Plugin {PluginId} falls back to the stub runtime: cannot load '{Module}': {Reason}",
            pluginId, module, reason);
        return stub;
    }

    /// <summary>True when <paramref name="wasmPath"/> is a file whose folder's manifest has a <c>component</c> block.</summary>
    private static bool DeclaresComponent(string wasmPath)
    {
        if (string.IsNullOrEmpty(wasmPath) || !File.Exists(wasmPath)) return false;
        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(wasmPath));
            return directory is not null && ManifestReader.ReadFolder(directory) is { Component: not null };
        }
        catch (Exception ex) when (ex is PluginLoadException or IOException or ArgumentException or UnauthorizedAccessException)
        {
            return false; // the start of the backend chosen otherwise reports the manifest's problem
        }
    }

    /// <summary>Names the real reason when a folder without a module holds an upstream frontend-only plugin.</summary>
    private static string? FrontendOnly(string wasmPath)
    {
        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(wasmPath));
            return directory is not null && ManifestReader.ReadFolder(directory) is { HasBackend: false } m
                ? $"plugin '{m.Id}' is frontend-only: its manifest has no backend entry point"
                : null;
        }
        catch (Exception ex) when (ex is PluginLoadException or IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
