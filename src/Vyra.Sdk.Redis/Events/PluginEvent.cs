namespace Vyra.Sdk.Redis;

/// <summary>
/// VYRA's <c>plugin/logic_event</c>: <c>{"event_name", "plugin_id", "data", "error"}</c>. <see cref="Data"/> is the
/// emitted payload — parsed when it is a JSON object or array, else the text as it was.
/// </summary>
public sealed record PluginEvent(string EventName, string PluginId, object? Data, string? Error = null)
{
    /// <summary>What a subscribed runtime's <c>on_event</c> receives as its data: <c>{"plugin_id", "data", "error"}</c>.</summary>
    public IReadOnlyDictionary<string, object?> ToEventData() => new Dictionary<string, object?>
    {
        ["plugin_id"] = PluginId,
        ["data"] = Data,
        ["error"] = Error,
    };
}
