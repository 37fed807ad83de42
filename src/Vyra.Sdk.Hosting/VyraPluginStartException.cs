namespace Vyra.Sdk.Hosting;

/// <summary>
/// Thrown from the host's start when plugins failed to start and <see cref="VyraPluginsOptions.FailOnStartError"/> is true.
/// </summary>
public sealed class VyraPluginStartException : Exception
{
    /// <summary>Creates the exception from the failures by plugin id (or proxy type name when the id was not known).</summary>
    public VyraPluginStartException(IReadOnlyDictionary<string, Exception> failures)
        : base(Describe(failures), failures.Count == 1 ? failures.Values.First() : new AggregateException(failures.Values))
    {
        Failures = failures;
    }

    /// <summary>What failed, by plugin id.</summary>
    public IReadOnlyDictionary<string, Exception> Failures { get; }

    private static string Describe(IReadOnlyDictionary<string, Exception> failures) =>
        $"{failures.Count} plugin(s) failed to start: " +
        string.Join("; ", failures.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}: {f.Value.Message}"));
}
