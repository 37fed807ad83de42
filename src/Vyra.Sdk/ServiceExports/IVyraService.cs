namespace Vyra.Sdk;

/// <summary>
/// A host service that serves a plugin's <c>service_exports</c> (VYRA §5): the manifest names it by
/// <c>service</c> and one of its <see cref="Methods"/> by <c>method</c>. Dispatch is by name, without reflection, so it
/// works trimmed and under NativeAOT. <see cref="VyraServiceMethods"/> builds one from delegates.
/// </summary>
public interface IVyraService
{
    /// <summary>The method names this service answers. Read when a plugin starts: a declared method missing here fails the start.</summary>
    IReadOnlyCollection<string> Methods { get; }

    /// <summary>
    /// Runs <paramref name="method"/> (one of <see cref="Methods"/>) with the call's arguments: the caller's keys the
    /// export passes through, then the manifest's <c>kwargs</c>. The returned value becomes the call's
    /// <c>{"result": value}</c>. <paramref name="cancellationToken"/> is cancelled at the call's deadline, when the caller
    /// cancels, or when the plugin stops. Whatever it throws fails the call with <see cref="PluginErrorKind.HostFunction"/>.
    /// </summary>
    ValueTask<object?> InvokeAsync(string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken);
}
