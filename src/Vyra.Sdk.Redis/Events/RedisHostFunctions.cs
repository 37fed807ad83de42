using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Vyra.Sdk.Redis;

/// <summary>
/// Host functions that publish the guest's <c>host_emit_event(event_type, payload)</c> as VYRA's
/// <c>plugin/logic_event</c> on a <see cref="RedisEventBus"/>. The other hooks go to an optional inner host (none: the
/// notifications are dropped and plugins talk over the in-process bus, unless an interface factory is given: then the
/// plugins' publish, subscribe, request and serve go over Redis too, e.g.
/// <c>new RedisHostFunctions(events, new RedisInterfaceFactory(redis, new() { Security = security }))</c>). Derive from it (<c>partial</c>, marked <c>[VyraHost]</c>) to add <c>host_*</c> imports.
/// </summary>
public class RedisHostFunctions : BaseHostFunctions
{
    private readonly IHostFunctions? _inner;

    /// <summary>Publishes on <paramref name="events"/>; <paramref name="inner"/> takes everything else.</summary>
    public RedisHostFunctions(RedisEventBus events, IHostFunctions? inner = null, ILogger? logger = null)
        : base(logger)
    {
        Events = events ?? throw new ArgumentNullException(nameof(events));
        _inner = inner;
    }

    /// <summary>
    /// Publishes on <paramref name="events"/>; the plugins' interfaces (topics and services) go through
    /// <paramref name="interfaces"/> (for example a <see cref="RedisInterfaceFactory"/>); <paramref name="inner"/> takes
    /// the UI notifications and logs.
    /// </summary>
    public RedisHostFunctions(RedisEventBus events, IInterfaceFactory interfaces, IHostFunctions? inner = null, ILogger? logger = null)
        : base(logger, interfaces ?? throw new ArgumentNullException(nameof(interfaces)))
    {
        Events = events ?? throw new ArgumentNullException(nameof(events));
        _inner = inner;
        _interfaces = interfaces;
    }

    private readonly IInterfaceFactory? _interfaces;

    /// <summary>The bus events are published on.</summary>
    public RedisEventBus Events { get; }

    /// <summary>Publishes <c>{"event_name": eventType, "plugin_id", "data": payload, "error": null}</c>.</summary>
    public override async ValueTask EmitEventAsync(string pluginId, string eventType, string payload, CancellationToken cancellationToken = default) =>
        await Events.PublishAsync(pluginId, eventType, PayloadData(payload), null, cancellationToken).ConfigureAwait(false);

    /// <summary>The event's <c>data</c>: a payload that is a JSON object or array is parsed; any other payload stays text.</summary>
    public static object? PayloadData(string? payload)
    {
        if (payload is null) return null;
        var trimmed = payload.AsSpan().TrimStart();
        if (trimmed.Length == 0 || (trimmed[0] != '{' && trimmed[0] != '[')) return payload;
        try
        {
            return JsonNode.Parse(payload);
        }
        catch (JsonException)
        {
            return payload;
        }
    }

    /// <summary>The interface factory given to the constructor, else the inner host's, else the base class's default (the in-process bus).</summary>
    public override IInterfaceFactory Interfaces => _interfaces ?? _inner?.Interfaces ?? base.Interfaces;

    /// <inheritdoc />
    public override ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default) =>
        _inner?.NotifyUiAsync(eventName, data, cancellationToken) ?? ValueTask.CompletedTask;

    /// <inheritdoc />
    public override ValueTask LogAsync(LogLevel level, string message, CancellationToken cancellationToken = default) =>
        _inner?.LogAsync(level, message, cancellationToken) ?? base.LogAsync(level, message, cancellationToken);
}
