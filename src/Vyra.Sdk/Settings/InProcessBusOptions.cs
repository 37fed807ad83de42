namespace Vyra.Sdk;

/// <summary>The bounds of an <see cref="InProcessBus"/>: nothing in it grows without limit.</summary>
public sealed record InProcessBusOptions
{
    /// <summary>The defaults.</summary>
    public static InProcessBusOptions Default { get; } = new();

    /// <summary>Events one subscription may hold undelivered; beyond it new events are dropped for that subscriber (counted as <c>vyra.bus.dropped</c>).</summary>
    public int QueueCapacity { get; init; } = 1024;

    /// <summary>Subscriptions one topic address may have.</summary>
    public int MaxSubscribersPerAddress { get; init; } = 1024;

    /// <summary>Servers one service address may have.</summary>
    public int MaxServersPerAddress { get; init; } = 64;

    /// <summary>Requests one server may be handling at once; beyond it a request is answered at once with a failed reply (<c>server busy</c>).</summary>
    public int MaxPendingRequestsPerServer { get; init; } = 256;

    internal void Validate()
    {
        Positive(QueueCapacity, nameof(QueueCapacity));
        Positive(MaxSubscribersPerAddress, nameof(MaxSubscribersPerAddress));
        Positive(MaxServersPerAddress, nameof(MaxServersPerAddress));
        Positive(MaxPendingRequestsPerServer, nameof(MaxPendingRequestsPerServer));
    }

    private static void Positive(int value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"InProcessBusOptions.{name} must be at least 1");
    }
}
