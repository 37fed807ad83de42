namespace Vyra.Sdk.Redis;

/// <summary>
/// A remote call could not reach Redis: it was refused at once while the connection is down, or the connection was
/// lost while the call was in flight (then it may or may not have run; retry with an idempotency key to be safe).
/// Its <see cref="PluginCallException.Kind"/> is <see cref="PluginErrorKind.NotStarted"/>: the plugin cannot be used
/// right now, exactly as a runtime that is not running.
/// </summary>
public sealed class PluginUnavailableException : PluginCallException
{
    /// <summary>Creates the exception.</summary>
    public PluginUnavailableException(string pluginId, string functionName, string reason, bool mayHaveRun, Exception? innerException = null)
        : base(pluginId, functionName, reason, PluginErrorKind.NotStarted, innerException)
    {
        MayHaveRun = mayHaveRun;
    }

    /// <summary>True when the request had been sent before the connection was lost.</summary>
    public bool MayHaveRun { get; }
}
