namespace Vyra.Plugin.Redis;

/// <summary>
/// The manifest's <c>events</c> globs: <c>*</c> stands for any run of characters (none included), every other
/// character for itself. No globs at all (null) means every event, as for a local runtime.
/// </summary>
public static class EventPattern
{
    /// <summary>True when <paramref name="eventName"/> matches one of <paramref name="globs"/> (null: all events).</summary>
    public static bool MatchesAny(IReadOnlyList<string>? globs, string eventName)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        if (globs is null) return true;
        for (var i = 0; i < globs.Count; i++)
        {
            if (Matches(globs[i], eventName)) return true;
        }
        return false;
    }

    /// <summary>True when <paramref name="eventName"/> matches <paramref name="glob"/>.</summary>
    public static bool Matches(string glob, string eventName)
    {
        ArgumentNullException.ThrowIfNull(glob);
        ArgumentNullException.ThrowIfNull(eventName);
        // The literal pieces between stars must appear in order: the first at the start, the last at the end, the
        // middle ones each at its leftmost place after the previous one (leftmost is always the best choice).
        var pieces = glob.Split('*');
        if (pieces.Length == 1) return string.Equals(glob, eventName, StringComparison.Ordinal);
        var head = pieces[0];
        var tail = pieces[^1];
        if (head.Length + tail.Length > eventName.Length) return false;
        if (!eventName.StartsWith(head, StringComparison.Ordinal) || !eventName.EndsWith(tail, StringComparison.Ordinal)) return false;
        var position = head.Length;
        var limit = eventName.Length - tail.Length;
        for (var i = 1; i < pieces.Length - 1; i++)
        {
            var piece = pieces[i];
            if (piece.Length == 0) continue;
            var found = eventName.AsSpan(position, limit - position).IndexOf(piece.AsSpan(), StringComparison.Ordinal);
            if (found < 0) return false;
            position += found + piece.Length;
        }
        return true;
    }
}
