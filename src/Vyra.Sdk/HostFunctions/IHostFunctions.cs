using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>
/// What the application offers a plugin (VYRA's host API): UI notifications, the module's communication
/// interfaces, and logging. The runtime itself uses <see cref="NotifyUiAsync"/> (call results, events) and
/// <see cref="LogAsync"/> (the guest's <c>host_log</c>).
/// </summary>
public interface IHostFunctions
{
    /// <summary>Pushes an event to the UI, e.g. <c>plugin.increment.result</c> after a call.</summary>
    ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default);

    /// <summary>Creates a publisher on the module's transport; returns the transport's handle.</summary>
    ValueTask<object?> CreatePublisherAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Creates a subscriber that calls <paramref name="callback"/> for each message.</summary>
    ValueTask<object?> CreateSubscriberAsync(string name, Func<IReadOnlyDictionary<string, object?>, ValueTask> callback, CancellationToken cancellationToken = default);

    /// <summary>Creates a service server answering requests with <paramref name="handler"/>.</summary>
    ValueTask<object?> CreateServerAsync(string name, Func<IReadOnlyDictionary<string, object?>, ValueTask<IReadOnlyDictionary<string, object?>>> handler, CancellationToken cancellationToken = default);

    /// <summary>Creates a service client.</summary>
    ValueTask<object?> CreateClientAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Writes a log line on behalf of a plugin.</summary>
    ValueTask LogAsync(LogLevel level, string message, CancellationToken cancellationToken = default);
}
