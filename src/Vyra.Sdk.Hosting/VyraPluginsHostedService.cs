using Microsoft.Extensions.Hosting;

namespace Vyra.Sdk.Hosting;

/// <summary>Starts the configured plugins with the host and stops every plugin runtime when the host stops.</summary>
internal sealed class VyraPluginsHostedService(PluginRuntimeRegistry registry) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => registry.StartConfiguredAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => registry.StopAllAsync(cancellationToken);
}
