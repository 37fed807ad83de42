namespace Vyra.Sdk;

/// <summary>
/// What every generated typed proxy is: a runtime with a lifecycle. Lets application code (dependency injection, a
/// plugin manager) start, stop and dispose proxies of any plugin without knowing their types or using reflection.
/// </summary>
public interface IPluginProxy : IAsyncDisposable
{
    /// <summary>The runtime behind the proxy (Wasmtime, stub or remote).</summary>
    PluginRuntime Runtime { get; }

    /// <summary>Starts the plugin (idempotent).</summary>
    ValueTask StartAsync(CancellationToken cancellationToken = default);

    /// <summary>Stops the plugin; safe when not started.</summary>
    ValueTask StopAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// A proxy type that knows its plugin id and can wrap any runtime: generic code builds proxies with
/// <c>TProxy.FromRuntime(runtime)</c> instead of reflection.
/// </summary>
/// <typeparam name="TSelf">The proxy type itself.</typeparam>
public interface IPluginProxy<TSelf> : IPluginProxy
    where TSelf : IPluginProxy<TSelf>
{
    /// <summary>The plugin id of the manifest the proxy was generated from.</summary>
    static abstract string PluginId { get; }

    /// <summary>Wraps an existing runtime (Wasmtime, stub or remote) in the proxy.</summary>
    static abstract TSelf FromRuntime(PluginRuntime runtime);
}
