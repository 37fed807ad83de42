using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Vyra.Sdk;

namespace Vyra.Sdk.Tests.Support;

/// <summary>A host that records what plugins tell it; can be told to fail notifications.</summary>
public class RecordingHost : BaseHostFunctions
{
    public RecordingHost(ILogger? logger = null)
        : base(logger)
    {
    }

    public ConcurrentQueue<(string Event, IReadOnlyDictionary<string, object?> Data)> Notifications { get; } = new();

    public ConcurrentQueue<(LogLevel Level, string Message)> Logs { get; } = new();

    public bool FailNotifications { get; set; }

    public override ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default)
    {
        if (FailNotifications) throw new InvalidOperationException("the UI is gone");
        Notifications.Enqueue((eventName, data));
        return ValueTask.CompletedTask;
    }

    public override ValueTask LogAsync(LogLevel level, string message, CancellationToken cancellationToken = default)
    {
        Logs.Enqueue((level, message));
        return base.LogAsync(level, message, cancellationToken);
    }
}
