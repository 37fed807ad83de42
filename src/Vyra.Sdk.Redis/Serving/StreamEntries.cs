using StackExchange.Redis;

namespace Vyra.Sdk.Redis;

/// <summary>
/// Stream entries read through a script or a raw command (the take script, a blocking <c>XREADGROUP</c>), which
/// StackExchange.Redis returns as plain replies: an entry is its id and a flat list of field, value, field, value…
/// </summary>
internal static class StreamEntries
{
    /// <summary>The entry <paramref name="id"/> with the fields of <paramref name="flat"/> (an odd last item is ignored).</summary>
    public static StreamEntry FromFlat(RedisValue id, RedisValue[] flat)
    {
        var fields = new NameValueEntry[flat.Length / 2];
        for (var i = 0; i < fields.Length; i++) fields[i] = new NameValueEntry(flat[2 * i], flat[2 * i + 1]);
        return new StreamEntry(id, fields);
    }
}
