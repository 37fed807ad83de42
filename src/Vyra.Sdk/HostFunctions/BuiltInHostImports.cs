using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>
/// The host functions every runtime offers: <c>host_log(message: string)</c> → the host's logging, scoped with the
/// plugin id; <c>host_emit_event(event_type: string, payload: string)</c> → <see cref="BaseHostFunctions.EmitEventAsync"/>
/// (or <see cref="IHostFunctions.NotifyUiAsync"/> for other hosts). Host functions run inside a guest call, so an
/// asynchronous host method is waited for there — with the call's token (<see cref="HostCall.CancellationToken"/>):
/// the host method receives it, and the wait ends at the call's deadline even when the host method ignores it.
/// A <c>host_log</c> message longer than <see cref="PluginRuntimeOptions.MaxLogMessageBytes"/> is truncated (only the
/// kept prefix is copied out of guest memory) and marked; logging never fails the guest's call for its size.
/// <c>log(msg: string)</c>, the bus's name for it (VYRA's module template), is the same function.
/// </summary>
internal static class BuiltInHostImports
{
    private static readonly PluginValueType[] OneString = [PluginValueType.String];
    private static readonly PluginValueType[] TwoStrings = [PluginValueType.String, PluginValueType.String];

    public static void Register(HostImportRegistry registry, IHostFunctions host, ILogger runtimeLogger)
    {
        HostImportHandler log = call =>
        {
            var message = call.GetStringPrefix(0, call.MaxLogMessageBytes, out var cut);
            if (cut > 0) message += $"… [truncated, {cut} bytes]";
            using (runtimeLogger.BeginScope(new Dictionary<string, object> { ["PluginId"] = call.PluginId }))
            {
                call.Wait(host.LogAsync(LogLevel.Information, message, call.CancellationToken));
            }
        };
        registry.Add("host_log", OneString, [], log);
        // The bus's log(msg) (VYRA's module template) is the same: neither checked nor throttled, capped alike.
        registry.Add("log", OneString, [], log);
        registry.Add("host_emit_event", TwoStrings, [], call =>
        {
            var eventType = call.GetString(0);
            var payload = call.GetString(1);
            call.Wait(host is BaseHostFunctions b
                ? b.EmitEventAsync(call.PluginId, eventType, payload, call.CancellationToken)
                : host.NotifyUiAsync(eventType, new Dictionary<string, object?> { ["plugin_id"] = call.PluginId, ["payload"] = payload }, call.CancellationToken));
        });
    }
}
