using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>
/// Host functions that log and otherwise do nothing: the default when the application gives none. Its <c>Create*Async</c>
/// return null (no transport) instead of throwing; derive from it for a host that should ignore them too.
/// </summary>
public class NullHostFunctions : BaseHostFunctions
{
    /// <summary>Creates the host, logging to <paramref name="logger"/> when given.</summary>
    public NullHostFunctions(ILogger? logger = null)
        : base(logger)
    {
    }

    /// <inheritdoc />
    public override ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default)
    {
        Logger.LogDebug("notify_ui {EventName} (no host)", eventName);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask<object?> CreatePublisherAsync(string name, CancellationToken cancellationToken = default) => Ignored("publisher", name);

    /// <inheritdoc />
    public override ValueTask<object?> CreateSubscriberAsync(string name, Func<IReadOnlyDictionary<string, object?>, ValueTask> callback, CancellationToken cancellationToken = default) => Ignored("subscriber", name);

    /// <inheritdoc />
    public override ValueTask<object?> CreateServerAsync(string name, Func<IReadOnlyDictionary<string, object?>, ValueTask<IReadOnlyDictionary<string, object?>>> handler, CancellationToken cancellationToken = default) => Ignored("server", name);

    /// <inheritdoc />
    public override ValueTask<object?> CreateClientAsync(string name, CancellationToken cancellationToken = default) => Ignored("client", name);

    private ValueTask<object?> Ignored(string what, string name)
    {
        Logger.LogDebug("create {What} {Name} ignored (no host)", what, name);
        return ValueTask.FromResult<object?>(null);
    }
}
