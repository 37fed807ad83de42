using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>
/// The service exports of one start of a runtime, resolved and checked before the plugin counts as running: every
/// declared <c>service</c> found by the resolver, every <c>method</c> among its methods, no name also served by wasm
/// or built in. A call filters the caller's arguments by <c>passthrough</c>, adds <c>kwargs</c> (the manifest wins),
/// and runs the host service under the call's deadline. docs/bus.md, "Service exports", is the spec.
/// </summary>
internal sealed class ServiceExportTable : PluginRuntime.IHostServedExports
{
    private readonly Dictionary<string, Bound> _exports;
    private readonly string _pluginId;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();

    private ServiceExportTable(string pluginId, Dictionary<string, Bound> exports, TimeSpan timeout, ILogger logger)
    {
        _pluginId = pluginId;
        _exports = exports;
        _timeout = timeout;
        _logger = logger;
    }

    /// <summary>A declared export with its service (null: not served, no resolver) and its fixed arguments, decoded once.</summary>
    private sealed record Bound(ServiceExportDeclaration Declaration, string Label, IVyraService? Service, HashSet<string>? Passthrough, KeyValuePair<string, object?>[] Kwargs);

    /// <summary>The names served, for messages and tests.</summary>
    public IReadOnlyCollection<string> Names => _exports.Keys;

    /// <summary>
    /// Resolves the manifest's service exports; null when it declares none. Every problem is reported at once, in a
    /// <see cref="PluginLoadException"/> naming the plugin, each export, its service and method. <c>wasmExports</c> are
    /// the names the module serves (a clash is refused), null in service-export mode. Without a resolver a module's
    /// plugin still starts (upstream manifests carry service exports a host may not serve): the exports are logged once
    /// and fail their calls as <see cref="PluginErrorKind.UnknownFunction"/>; in service-export mode there is nothing
    /// else to run, so the start fails.
    /// </summary>
    public static ServiceExportTable? Bind(string pluginId, PluginManifest? manifest, PluginRuntimeOptions options, IReadOnlyCollection<string>? wasmExports, ILogger logger)
    {
        if (manifest?.ServiceExports is not { Count: > 0 } declared) return null;
        var problems = new List<string>();
        var resolver = options.ServiceExports;
        var exports = new Dictionary<string, Bound>(StringComparer.Ordinal);
        foreach (var export in declared)
        {
            var label = $"service export '{export.Name}' (service '{export.Service}', method '{export.Method}')";
            if (export.Name == "ping")
            {
                problems.Add($"{label}: 'ping' is built in and always answers the status; rename the export");
                continue;
            }
            if (exports.ContainsKey(export.Name))
            {
                problems.Add($"{label}: the name is declared twice in service_exports");
                continue;
            }
            if (wasmExports is not null && wasmExports.Contains(export.Name))
            {
                problems.Add($"{label}: the name is also a wasm export of the module; a name is served either by the module or by a host service, never both");
                continue;
            }
            var passthrough = export.Passthrough is null ? null : new HashSet<string>(export.Passthrough, StringComparer.Ordinal);
            if (resolver is null)
            {
                if (wasmExports is null) problems.Add($"{label}: {NoResolver}");
                else exports[export.Name] = new Bound(export, label, null, passthrough, []);
                continue;
            }
            IVyraService? service;
            IReadOnlyCollection<string> methods;
            try
            {
                service = resolver.Resolve(export.Service);
                methods = service?.Methods ?? [];
            }
            catch (Exception ex)
            {
                problems.Add($"{label}: resolving the service failed: {ex.GetType().Name}: {ex.Message}");
                continue;
            }
            if (service is null)
            {
                problems.Add($"{label}: no service '{export.Service}' is registered");
                continue;
            }
            if (!methods.Contains(export.Method))
            {
                problems.Add($"{label}: service '{export.Service}' has no method '{export.Method}' (it has: {(methods.Count == 0 ? "none" : string.Join(", ", methods.Order(StringComparer.Ordinal)))})");
                continue;
            }
            exports[export.Name] = new Bound(export, label, service, passthrough, Kwargs(export.Kwargs));
        }
        if (problems.Count > 0)
        {
            throw new PluginLoadException($"[{pluginId}] cannot serve its service exports: {string.Join("; ", problems)}", manifest.SourcePath, field: "$.entry_points.backend.service_exports");
        }
        if (resolver is null)
        {
            logger.LogWarning("Plugin {PluginId}: its service exports ({Exports}) are not served: {Reason}", pluginId, string.Join(", ", exports.Keys), NoResolver);
        }
        return new ServiceExportTable(pluginId, exports, EffectiveLimits.Resolve(options, manifest.Limits).Timeout, logger);
    }

    private const string NoResolver = "no service resolver is configured (PluginRuntimeOptions.ServiceExports; in Vyra.Sdk.Hosting, AddVyraPlugins().AddService(...))";

    // Each kwargs value stays the JsonElement the manifest wrote (numbers as written, never rounded).
    private static KeyValuePair<string, object?>[] Kwargs(JsonElement? kwargs) =>
        kwargs is { ValueKind: JsonValueKind.Object } k
            ? [.. k.EnumerateObject().Select(p => new KeyValuePair<string, object?>(p.Name, p.Value.Clone()))]
            : [];

    /// <summary>True when <paramref name="function"/> is served here.</summary>
    public bool Serves(string function) => _exports.ContainsKey(function);

    /// <summary>Cancels the service calls still running (the plugin stops); later calls are refused by the runtime.</summary>
    public void Stop() => _stopping.Cancel();

    /// <summary>The arguments a service sees: the passed-through keys of <paramref name="data"/>, then <c>kwargs</c> over them.</summary>
    internal static Dictionary<string, object?> Arguments(IReadOnlyDictionary<string, object?> data, HashSet<string>? passthrough, KeyValuePair<string, object?>[] kwargs)
    {
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in data)
        {
            if (passthrough is null || passthrough.Contains(key)) arguments[key] = value;
        }
        // The manifest's fixed arguments win: a caller cannot override what the plugin's author pinned.
        foreach (var (key, value) in kwargs) arguments[key] = value;
        return arguments;
    }

    /// <summary>Runs the export named <paramref name="function"/> (one <see cref="Serves"/> said yes to).</summary>
    public async ValueTask<IReadOnlyDictionary<string, object?>> InvokeAsync(string function, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken)
    {
        var bound = _exports[function];
        var declaration = bound.Declaration;
        var label = bound.Label;
        if (cancellationToken.IsCancellationRequested)
        {
            throw new PluginCallException(_pluginId, function, "the call was cancelled", PluginErrorKind.Cancelled, new OperationCanceledException(cancellationToken));
        }
        if (bound.Service is not { } service)
        {
            throw new PluginCallException(_pluginId, function, $"{label} is not served: {NoResolver}", PluginErrorKind.UnknownFunction);
        }
        var arguments = Arguments(data, bound.Passthrough, bound.Kwargs);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        // A timer longer than CancelAfter takes (about 49 days) is no deadline in practice.
        if (_timeout != Timeout.InfiniteTimeSpan && _timeout.TotalMilliseconds < uint.MaxValue - 1) deadline.CancelAfter(_timeout);
        Task<object?>? running = null;
        try
        {
            running = service.InvokeAsync(declaration.Method, arguments, deadline.Token).AsTask();
            // The deadline holds even for a service that ignores its token: the call ends, the service runs on alone.
            var value = await running.WaitAsync(deadline.Token).ConfigureAwait(false);
            return new Dictionary<string, object?> { ["result"] = value };
        }
        catch (Exception ex) when (deadline.IsCancellationRequested && (ex is OperationCanceledException || running is { IsCompleted: false }))
        {
            Abandon(running, label);
            if (cancellationToken.IsCancellationRequested) throw new PluginCallException(_pluginId, function, $"the call was cancelled while {label} ran", PluginErrorKind.Cancelled, ex);
            if (_stopping.IsCancellationRequested) throw new PluginCallException(_pluginId, function, $"the plugin was stopped while {label} ran", PluginErrorKind.NotStarted, ex);
            throw new PluginCallException(_pluginId, function, $"{label} did not answer within {_timeout.TotalMilliseconds:0} ms (the call's timeout)", PluginErrorKind.Timeout, ex);
        }
        catch (Exception ex)
        {
            throw new PluginCallException(_pluginId, function, $"{label} failed: {ex.GetType().Name}: {ex.Message}", PluginErrorKind.HostFunction, ex);
        }
    }

    /// <summary>A service call left behind at its deadline: its eventual failure is logged, never unobserved.</summary>
    private void Abandon(Task<object?>? running, string label)
    {
        if (running is null || running.IsCompleted) return;
        _logger.LogWarning("Plugin {PluginId}: {Export} was still running at the call's end; it goes on without a caller", _pluginId, label);
        _ = running.ContinueWith(
            static (t, state) => ((ILogger)state!).LogDebug(t.Exception, "An abandoned service export call failed later"),
            _logger, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
