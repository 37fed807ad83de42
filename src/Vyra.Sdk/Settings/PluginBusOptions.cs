namespace Vyra.Sdk;

/// <summary>
/// How a host's plugins communicate (<see cref="PluginRuntimeOptions.Bus"/>): the module they belong to, their rate
/// limit, how long a request waits, and how many interfaces one plugin may hold. The transport itself comes from the
/// host functions (<see cref="IHostFunctions.Interfaces"/>). docs/bus.md explains each choice.
/// </summary>
public sealed record PluginBusOptions
{
    /// <summary>The defaults.</summary>
    public static PluginBusOptions Default { get; } = new();

    /// <summary>The module this host is; a guest's bare topic or service name belongs to it.</summary>
    public BusModule Module { get; init; } = BusModule.Local;

    /// <summary>Each plugin's rate limit (one limiter per plugin, never shared).</summary>
    public RateLimitOptions RateLimit { get; init; } = RateLimitOptions.Default;

    /// <summary>How long a guest's <c>request</c> waits for a reply before it answers <c>{"error":"timeout"}</c> (VYRA: 5 s); the call's own deadline bounds it too.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How many topics one plugin may subscribe to.</summary>
    public int MaxSubscriptions { get; init; } = 64;

    /// <summary>How many services one plugin may serve.</summary>
    public int MaxServices { get; init; } = 64;

    /// <summary>How many distinct topics and services one plugin may publish to or call (each holds a transport handle).</summary>
    public int MaxAddresses { get; init; } = 256;

    /// <summary>The clock the rate limiter and throttle delays use (tests inject a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
