namespace Vyra.Sdk;

/// <summary>
/// Matches event names against the manifest's <c>events</c> globs, where <c>*</c> stands for any run of characters
/// (none included) and every other character for itself. Public so every transport (local, Redis) filters alike.
/// </summary>
public static class EventGlob
{
    /// <summary>True when <paramref name="eventName"/> matches one of <paramref name="globs"/>; no globs (null) means every event.</summary>
    public static bool MatchesAny(IReadOnlyList<string>? globs, string eventName)
    {
        if (globs is null) return true;
        foreach (var glob in globs)
        {
            if (Matches(glob, eventName)) return true;
        }
        return false;
    }

    /// <summary>True when <paramref name="name"/> matches <paramref name="glob"/>.</summary>
    public static bool Matches(ReadOnlySpan<char> glob, ReadOnlySpan<char> name)
    {
        // Iterative wildcard match with backtracking to the last '*': linear in practice, no recursion.
        int g = 0, n = 0, star = -1, mark = 0;
        while (n < name.Length)
        {
            if (g < glob.Length && glob[g] == '*') { star = g++; mark = n; }
            else if (g < glob.Length && glob[g] == name[n]) { g++; n++; }
            else if (star >= 0) { g = star + 1; n = ++mark; }
            else return false;
        }
        while (g < glob.Length && glob[g] == '*') g++;
        return g == glob.Length;
    }
}
