using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Vyra.Sdk.Hosting;

/// <summary>
/// The health of one plugin (<see cref="PluginId"/> set) or of all of them (null). A plugin is
/// <list type="bullet">
/// <item>Healthy when its runtime is running, or when it was not asked to start with the host and the pools hold a valid
/// version it can start from on first use;</item>
/// <item>Unhealthy when it was asked to start and is not running (its start failed, or it stopped), when no valid version
/// can be found, or while the host is stopping.</item>
/// </list>
/// For all plugins the worst status wins, invalid versions that nobody asked for and pool problems make it Degraded, and
/// the data holds each plugin's status by id. Reasons go to the health report (for logs and publishers); the default
/// /health response writes the status only, so nothing about the pools reaches HTTP clients.
/// </summary>
internal sealed class VyraPluginHealthCheck(PluginRuntimeRegistry registry, string? pluginId) : IHealthCheck
{
    public string? PluginId { get; } = pluginId;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (registry.IsShuttingDown) return Task.FromResult(HealthCheckResult.Unhealthy("the host is stopping"));
        var (targets, failures) = registry.StartReport();
        if (PluginId is not null) return Task.FromResult(Check(PluginId, targets, failures));

        PoolCatalog pool;
        try
        {
            pool = registry.Pool;
        }
        catch (Exception ex)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("the plugin catalog could not be discovered", ex));
        }
        var ids = new SortedSet<string>(pool.Ids, StringComparer.OrdinalIgnoreCase);
        ids.UnionWith(targets);
        foreach (var runtime in registry.Runtimes) ids.Add(runtime.PluginId);

        var data = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        var worst = HealthStatus.Healthy;
        var reasons = new List<string>();
        foreach (var id in ids)
        {
            var result = Check(id, targets, failures);
            // A plugin nobody asked for that cannot start is a degraded pool, not a failing application.
            var status = result.Status == HealthStatus.Unhealthy && !targets.Contains(id) && !registry.TryGetExisting(id, out _) ? HealthStatus.Degraded : result.Status;
            data[id] = status.ToString();
            if (status < worst) worst = status;
            if (status != HealthStatus.Healthy) reasons.Add($"{id}: {result.Description}");
        }
        if (pool.PoolProblems.Count > 0)
        {
            if (worst == HealthStatus.Healthy) worst = HealthStatus.Degraded;
            reasons.AddRange(pool.PoolProblems);
        }
        var description = reasons.Count == 0 ? $"{ids.Count} plugin(s) healthy" : string.Join("; ", reasons);
        return Task.FromResult(new HealthCheckResult(worst, description, data: data));
    }

    private HealthCheckResult Check(string id, IReadOnlyCollection<string> targets, IReadOnlyDictionary<string, Exception> failures)
    {
        if (registry.TryGetExisting(id, out var runtime))
        {
            if (runtime.IsRunning) return HealthCheckResult.Healthy($"running ({runtime.Backend})");
            if (failures.TryGetValue(id, out var failed)) return HealthCheckResult.Unhealthy("failed to start: " + failed.Message, failed);
            if (targets.Contains(id)) return HealthCheckResult.Unhealthy("stopped");
        }
        else if (failures.TryGetValue(id, out var failed))
        {
            return HealthCheckResult.Unhealthy("failed to start: " + failed.Message, failed);
        }
        try
        {
            var settings = registry.CreateContext(id); // throws with the reason when no valid version can be run
            return HealthCheckResult.Healthy($"not started yet: starts on first use from version {settings.Entry.Version}");
        }
        catch (PluginLoadException ex)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}
