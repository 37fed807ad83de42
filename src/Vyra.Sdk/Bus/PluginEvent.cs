using System.Text.Json;

namespace Vyra.Sdk;

/// <summary>
/// One published event, in VYRA's <c>plugin_event</c> shape (<c>{ event_name, plugin_id, data, error }</c>), which is
/// also what crosses a wire. <see cref="Data"/> is an immutable JSON value, safe to share between subscribers.
/// </summary>
/// <param name="EventName">The topic name it was published under (the address's <see cref="InterfaceAddress.Name"/>).</param>
/// <param name="PluginId">The publishing plugin.</param>
/// <param name="Data">The payload.</param>
/// <param name="Error">An error text the publisher attached, or null.</param>
public sealed record PluginEvent(string EventName, string PluginId, JsonElement Data, string? Error = null);
