namespace Vyra.Sdk.Redis;

/// <summary>
/// The characters allowed in names the server puts into Redis key and channel names (sender ids, request ids, key
/// ids): a name from a message can never add a <c>:</c> segment, a glob character or a path to the names derived from it.
/// </summary>
internal static class WireNames
{
    public const int MaxSenderId = 64;
    public const int MaxRequestId = 64;

    public static bool IsSenderId(string? value) => IsName(value, MaxSenderId);

    public static bool IsRequestId(string? value) => IsName(value, MaxRequestId);

    public static bool IsKeyId(string? value) => IsName(value, 32);

    private static bool IsName(string? value, int max)
    {
        if (string.IsNullOrEmpty(value) || value.Length > max) return false;
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')) return false;
        }
        return true;
    }
}
