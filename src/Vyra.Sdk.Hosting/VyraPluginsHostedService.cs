using Microsoft.Extensions.Hosting;

namespace Vyra.Sdk.Hosting;

/// <summary>
/// Starts the configured plugins with the host and stops them when the host begins stopping. The stop is tied to
/// <see cref="IHostApplicationLifetime.ApplicationStopping"/> rather than to this service's own StopAsync: a web server
/// registered before this service drains its requests first, and calls queued on a busy plugin would otherwise run out
/// their timeouts during that drain. Stopping the runtimes interrupts running guest code and fails queued calls at once.
/// </summary>
internal sealed class VyraPluginsHostedService(PluginRuntimeRegistry registry, IHostApplicationLifetime? lifetime = null) : IHostedService, IDisposable
{
    private CancellationTokenRegistration _onStopping;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (lifetime is not null) _onStopping = lifetime.ApplicationStopping.Register(static state => ((PluginRuntimeRegistry)state!).BeginShutdownAsync(), registry);
        return registry.StartConfiguredAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await registry.BeginShutdownAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        // Runtimes created while the first stop ran (a request racing the shutdown) are stopped here.
        await registry.StopAllAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _onStopping.Dispose();
}
