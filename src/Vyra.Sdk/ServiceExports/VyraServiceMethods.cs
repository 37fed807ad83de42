namespace Vyra.Sdk;

/// <summary>One method of a host service: the call's arguments in, the result value out.</summary>
public delegate ValueTask<object?> VyraServiceMethod(IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken);

/// <summary>
/// An <see cref="IVyraService"/> made of delegates, one per method:
/// <c>new VyraServiceMethods().Add("forecast", (args, ct) =&gt; ...)</c>. Methods may be added until the first plugin
/// that uses the service starts.
/// </summary>
public sealed class VyraServiceMethods : IVyraService
{
    private readonly Dictionary<string, VyraServiceMethod> _methods = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>Adds (or replaces) <paramref name="method"/>.</summary>
    public VyraServiceMethods Add(string method, VyraServiceMethod handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate) _methods[method] = handler;
        return this;
    }

    /// <summary>Adds a synchronous method (its result is returned as it is).</summary>
    public VyraServiceMethods Add(string method, Func<IReadOnlyDictionary<string, object?>, object?> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Add(method, (arguments, _) => ValueTask.FromResult(handler(arguments)));
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> Methods
    {
        get
        {
            lock (_gate) return [.. _methods.Keys];
        }
    }

    /// <inheritdoc />
    public ValueTask<object?> InvokeAsync(string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        VyraServiceMethod? handler;
        lock (_gate) _methods.TryGetValue(method, out handler);
        return handler is null
            ? throw new InvalidOperationException($"the service has no method '{method}'")
            : handler(arguments, cancellationToken);
    }
}
