using Microsoft.Extensions.Diagnostics.HealthChecks;
using Vyra.Sdk.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Health checks for Vyra plugins (map them with <c>app.MapHealthChecks("/health")</c>).</summary>
public static class VyraHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds the check <paramref name="name"/> over every plugin: Unhealthy when a plugin the host was asked to start is
    /// not running or while the host stops; Degraded when the pools hold invalid plugins nobody asked for or a pool is
    /// missing; the data holds each plugin's status by id. Needs <c>AddVyraPlugins</c>.
    /// </summary>
    public static IHealthChecksBuilder AddVyraPluginHealthChecks(this IHealthChecksBuilder builder, string name = "vyra-plugins", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(name, sp => new VyraPluginHealthCheck(sp.GetRequiredService<PluginRuntimeRegistry>(), null), null, tags));
    }

    /// <summary>
    /// Adds a check of one plugin, named <c>vyra-plugin:&lt;id&gt;</c> unless <paramref name="name"/> is given: Healthy when
    /// running, or when it can start on first use; Unhealthy when its start failed, it stopped, no valid version exists,
    /// or the host is stopping.
    /// </summary>
    public static IHealthChecksBuilder AddVyraPluginHealthCheck(this IHealthChecksBuilder builder, string pluginId, string? name = null, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(pluginId);
        return builder.Add(new HealthCheckRegistration(name ?? "vyra-plugin:" + pluginId, sp => new VyraPluginHealthCheck(sp.GetRequiredService<PluginRuntimeRegistry>(), pluginId), failureStatus, tags));
    }
}
