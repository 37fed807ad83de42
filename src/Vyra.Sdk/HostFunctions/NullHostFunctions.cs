using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>
/// Host functions that log and otherwise do nothing: the default when the application gives none. Its plugins still talk to each other
/// over the process's <see cref="InProcessBus.Shared"/> (the base class's default).
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
        if (Logger.IsEnabled(LogLevel.Debug)) Logger.LogDebug("notify_ui {EventName} (no host)", eventName); // as the base class's
        return ValueTask.CompletedTask;
    }
}
