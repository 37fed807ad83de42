using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>
/// The host functions every runtime offers: <c>host_log(message: string)</c> → the host's logging, scoped with the
/// plugin id; <c>host_emit_event(event_type: string, payload: string)</c> → <see cref="BaseHostFunctions.EmitEventAsync"/>
/// (or <see cref="IHostFunctions.NotifyUiAsync"/> for other hosts). Host functions run inside a guest call, so an
/// asynchronous host method is waited for there.
/// </summary>
internal static class BuiltInHostImports
{
    private static readonly PluginValueType[] OneString = [PluginValueType.String];
    private static readonly PluginValueType[] TwoStrings = [PluginValueType.String, PluginValueType.String];

    public static void Register(HostImportRegistry registry, IHostFunctions host, ILogger runtimeLogger)
    {
        registry.Add("host_log", OneString, [], call =>
        {
            var message = call.GetString(0);
            using (runtimeLogger.BeginScope(new Dictionary<string, object> { ["PluginId"] = call.PluginId }))
            {
                Wait(host.LogAsync(LogLevel.Information, message));
            }
        });
        registry.Add("host_emit_event", TwoStrings, [], call =>
        {
            var eventType = call.GetString(0);
            var payload = call.GetString(1);
            Wait(host is BaseHostFunctions b
                ? b.EmitEventAsync(call.PluginId, eventType, payload)
                : host.NotifyUiAsync(eventType, new Dictionary<string, object?> { ["plugin_id"] = call.PluginId, ["payload"] = payload }));
        });
    }

    /// <summary>Completes a host task inside the guest call (the store cannot be left while the guest waits).</summary>
    public static void Wait(ValueTask task)
    {
        if (task.IsCompletedSuccessfully) return;
        task.AsTask().GetAwaiter().GetResult();
    }
}
