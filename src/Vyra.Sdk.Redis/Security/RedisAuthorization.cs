namespace Vyra.Sdk.Redis;

/// <summary>
/// Which authenticated senders may do what on the wire. Rules are globs (see <see cref="EventGlob"/>: <c>*</c> is any
/// run of characters) over the sender id, the plugin id and the function name; anything no rule allows is denied. A
/// call is answered <see cref="PluginErrorKind.PermissionDenied"/>; an event delivered to a served plugin through
/// <see cref="RemotePluginRuntime.OnEventAsync"/> is checked as function <c>on_event</c>; a
/// <c>plugin/logic_event</c> on a <see cref="RedisEventBus"/> is checked against <see cref="AllowEvents"/> (who may
/// publish as which plugin id) and dropped when denied.
/// </summary>
public sealed class RedisAuthorization
{
    private readonly List<(string Sender, string Plugin, string Function)> _calls = [];
    private readonly List<(string Sender, string Plugin)> _events = [];

    /// <summary>Lets senders matching <paramref name="senderGlob"/> call <paramref name="functionGlob"/> on <paramref name="pluginGlob"/>.</summary>
    public RedisAuthorization AllowCalls(string senderGlob, string pluginGlob, string functionGlob = "*")
    {
        ArgumentException.ThrowIfNullOrEmpty(senderGlob);
        ArgumentException.ThrowIfNullOrEmpty(pluginGlob);
        ArgumentException.ThrowIfNullOrEmpty(functionGlob);
        _calls.Add((senderGlob, pluginGlob, functionGlob));
        return this;
    }

    /// <summary>Lets senders matching <paramref name="senderGlob"/> publish <c>plugin/logic_event</c>s as plugin ids matching <paramref name="pluginGlob"/>.</summary>
    public RedisAuthorization AllowEvents(string senderGlob, string pluginGlob)
    {
        ArgumentException.ThrowIfNullOrEmpty(senderGlob);
        ArgumentException.ThrowIfNullOrEmpty(pluginGlob);
        _events.Add((senderGlob, pluginGlob));
        return this;
    }

    /// <summary>True when <paramref name="senderId"/> may call <paramref name="function"/> on <paramref name="pluginId"/>.</summary>
    public bool MayCall(string senderId, string pluginId, string function)
    {
        foreach (var (sender, plugin, fn) in _calls)
        {
            if (EventGlob.Matches(sender, senderId) && EventGlob.Matches(plugin, pluginId) && EventGlob.Matches(fn, function)) return true;
        }
        return false;
    }

    /// <summary>True when <paramref name="senderId"/> may publish events as <paramref name="pluginId"/>.</summary>
    public bool MayPublish(string senderId, string pluginId)
    {
        foreach (var (sender, plugin) in _events)
        {
            if (EventGlob.Matches(sender, senderId) && EventGlob.Matches(plugin, pluginId)) return true;
        }
        return false;
    }
}
