namespace Vyra.Sdk.Redis;

/// <summary>
/// Marks a request started on the read loop's own thread: until the loop has the thread back (<see cref="Returned"/>),
/// the request is still running synchronously there and must yield before it runs a plugin.
/// </summary>
internal sealed class InlineStart
{
    private volatile bool _returned;

    /// <summary>True once the read loop's call that started the request has returned.</summary>
    public bool HasReturned => _returned;

    public void Returned() => _returned = true;
}
