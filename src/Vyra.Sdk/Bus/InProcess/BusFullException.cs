namespace Vyra.Sdk;

/// <summary>
/// An address of the in-process bus holds as many subscriptions or servers as it may; the facade reports it to the
/// plugin as <see cref="PluginErrorKind.Overloaded"/> (a capacity the host set, not a fault of the host's code).
/// </summary>
internal sealed class BusFullException(string message) : InvalidOperationException(message);
