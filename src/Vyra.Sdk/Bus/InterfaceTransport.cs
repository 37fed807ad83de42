namespace Vyra.Sdk;

/// <summary>
/// The four kinds of communication interface VYRA's facade grants (<c>permissions.interfaces[].transport</c>):
/// a guest's <c>publish</c> needs <see cref="Publish"/>, <c>subscribe</c> needs <see cref="Subscribe"/>, <c>request</c>
/// needs <see cref="Client"/> and <c>serve</c> needs <see cref="Server"/> (docs/bus.md).
/// </summary>
public enum InterfaceTransport
{
    /// <summary>Publishing events on a topic.</summary>
    Publish,
    /// <summary>Receiving the events published on a topic.</summary>
    Subscribe,
    /// <summary>Answering requests to a service.</summary>
    Server,
    /// <summary>Sending requests to a service and waiting for the reply.</summary>
    Client,
}
