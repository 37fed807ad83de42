namespace Vyra.Samples.Web;

/// <summary>The sample's own HTTP settings, bound from <c>Vyra:Web</c>.</summary>
public sealed class WebSampleOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Vyra:Web";

    /// <summary>
    /// The largest request body Kestrel accepts, in bytes (default 1 MiB; Kestrel's own default is 30 MB). Arguments are
    /// parsed into a JSON document, so this also bounds the memory one request can take.
    /// </summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>The Retry-After answered with 503 when a plugin is overloaded or stopping, in seconds.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (MaxRequestBodyBytes < 1) throw new InvalidOperationException($"{SectionName}:{nameof(MaxRequestBodyBytes)} must be positive, got {MaxRequestBodyBytes}");
        if (RetryAfterSeconds < 0) throw new InvalidOperationException($"{SectionName}:{nameof(RetryAfterSeconds)} must not be negative, got {RetryAfterSeconds}");
    }
}
