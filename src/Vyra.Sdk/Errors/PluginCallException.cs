namespace Vyra.Sdk;

/// <summary>
/// The one exception a plugin call ends with when it fails. <see cref="Kind"/> says why;
/// the original exception (trap, host exception, coercion error) is the <see cref="Exception.InnerException"/>.
/// </summary>
public class PluginCallException : Exception
{
    /// <summary>Creates the exception with the message <c>[{pluginId}] call '{functionName}' failed: {reason}</c>.</summary>
    public PluginCallException(string pluginId, string functionName, string reason, PluginErrorKind kind, Exception? innerException = null)
        : base($"[{pluginId}] call '{functionName}' failed: {reason}", innerException)
    {
        PluginId = pluginId;
        FunctionName = functionName;
        Reason = reason;
        Kind = kind;
    }

    /// <summary>The plugin whose call failed.</summary>
    public string PluginId { get; }

    /// <summary>The function that was called.</summary>
    public string FunctionName { get; }

    /// <summary>What went wrong, without the id/function prefix.</summary>
    public string Reason { get; }

    /// <summary>The category of the failure.</summary>
    public PluginErrorKind Kind { get; }
}
