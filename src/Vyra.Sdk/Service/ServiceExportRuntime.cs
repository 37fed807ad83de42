using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>
/// VYRA's "service-export mode" (§5): a plugin folder with a manifest whose <c>entry_points.backend.service_exports</c>
/// are its whole backend, and no module. Each start reads the manifest and resolves every export's host service through
/// <see cref="PluginRuntimeOptions.ServiceExports"/> (a missing service or method fails the start); calls then run the
/// host services under the call's timeout. <c>ping</c> reports the backend <c>service</c>; events are ignored (there is
/// no <c>on_event</c> to deliver them to). <see cref="PluginRuntime.Create(string, string, IHostFunctions?, IReadOnlyDictionary{string, object?}?, PluginRuntimeOptions?)"/>
/// picks it for such a folder.
/// </summary>
public sealed class ServiceExportRuntime : PluginRuntime
{
    private readonly object _gate = new();
    private volatile bool _running;

    /// <summary>Creates a runtime for the plugin folder <paramref name="pluginDirectory"/> (its manifest is read at start).</summary>
    public ServiceExportRuntime(string pluginId, string pluginDirectory, IHostFunctions? host = null, PluginRuntimeOptions? options = null)
        : base(pluginId, host, options)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginDirectory);
        Options.Validate();
        PluginDirectory = Path.GetFullPath(pluginDirectory);
    }

    /// <summary>The plugin folder its manifest is read from.</summary>
    public string PluginDirectory { get; }

    /// <summary>The manifest read by the last start; null before a start.</summary>
    public PluginManifest? Manifest { get; private set; }

    /// <inheritdoc />
    public override bool IsRunning => _running;

    /// <inheritdoc />
    public override string Backend => "service";

    /// <summary>
    /// The folder of <paramref name="modulePath"/> when it holds a plugin for service-export mode: no file at the module
    /// path, and a manifest with a backend that declares service exports. A module that exists but is unusable is not
    /// replaced by the services: that stays the factory's stub-fallback case.
    /// </summary>
    internal static string? ServesFolderOf(string modulePath)
    {
        if (string.IsNullOrWhiteSpace(modulePath) || File.Exists(modulePath) || Directory.Exists(modulePath)) return null;
        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(modulePath));
            return directory is not null && ManifestReader.ReadFolder(directory) is { HasBackend: true, ServiceExports.Count: > 0 } ? directory : null;
        }
        catch (Exception ex) when (ex is PluginLoadException or IOException or ArgumentException or UnauthorizedAccessException)
        {
            // An unreadable manifest: the factory's usual rule reports the missing module (the start would report the manifest).
            return null;
        }
    }

    /// <inheritdoc />
    public override ValueTask StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (_running) return ValueTask.CompletedTask;
            var manifest = ManifestReader.ReadFolder(PluginDirectory)
                ?? throw new PluginLoadException($"[{PluginId}] service-export mode: no {ManifestReader.YamlFileName} or {ManifestReader.FileName} in '{PluginDirectory}'", PluginDirectory);
            if (!manifest.HasBackend)
            {
                throw new PluginLoadException($"{manifest.SourcePath}: plugin '{manifest.Id}' is frontend-only: its manifest has no backend entry point, so there is nothing to run", manifest.SourcePath, field: "$.entry_points.backend");
            }
            if (manifest.Id != PluginId) Logger.LogWarning("Plugin {PluginId}: the manifest's id is '{ManifestId}'", PluginId, manifest.Id);
            foreach (var warning in manifest.Warnings) Logger.LogWarning("Plugin {PluginId}: {ManifestWarning}", PluginId, warning);
            var table = ServiceExportTable.Bind(PluginId, manifest, Options, wasmExports: null, Logger)
                ?? throw new PluginLoadException($"{manifest.SourcePath}: plugin '{manifest.Id}' has no logic.wasm and declares no service_exports, so there is nothing to run", manifest.SourcePath, field: "$.entry_points.backend.service_exports");
            if (manifest.Exports is { Count: > 0 } exports)
            {
                Logger.LogWarning("Plugin {PluginId} runs in service-export mode (no module): its wasm exports ({Exports}) do not answer", PluginId, string.Join(", ", exports.Select(e => e.Name)));
            }
            Manifest = manifest;
            ServiceExports = table;
            _running = true;
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>Service calls still running are cancelled (their callers get <see cref="PluginErrorKind.NotStarted"/>).</remarks>
    public override ValueTask StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _running = false;
            ServiceExports?.Stop();
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask OnEventAsync(string eventName, IReadOnlyDictionary<string, object?>? data = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        if (!IsRunning) throw NotStarted("on_event");
        Logger.LogDebug("Plugin {PluginId} runs in service-export mode and has no on_event; event {EventName} ignored", PluginId, eventName);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask<IReadOnlyDictionary<string, object?>> InvokeAsync(string function, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken) =>
        throw UnknownFunction(function, $"the plugin runs in service-export mode (no logic.wasm): only ping and its service exports answer ({string.Join(", ", (ServiceExports?.Names ?? []).Order(StringComparer.Ordinal))})");
}
