using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>
/// What the application offers a plugin (VYRA's host API): UI notifications, the module's communication
/// interfaces (<see cref="Interfaces"/>), and logging. The runtime itself uses <see cref="NotifyUiAsync"/> (call results, events) and
/// <see cref="LogAsync"/> (the guest's <c>host_log</c>).
/// </summary>
public interface IHostFunctions
{
    /// <summary>Pushes an event to the UI, e.g. <c>plugin.increment.result</c> after a call.</summary>
    ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default);

    /// <summary>
    /// The module's interface factory (VYRA §6): the transport plugins publish, subscribe, request and serve through,
    /// always behind their <see cref="PluginFacade"/> (permission, then throttle). <see cref="BaseHostFunctions"/> uses
    /// the process's <see cref="InProcessBus.Shared"/> unless given another (for example Vyra.Sdk.Redis's).
    /// </summary>
    IInterfaceFactory Interfaces { get; }

    /// <summary>Writes a log line on behalf of a plugin.</summary>
    ValueTask LogAsync(LogLevel level, string message, CancellationToken cancellationToken = default);
}
