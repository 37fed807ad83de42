using System;
using System.Globalization;

namespace Vyra.Sdk;

/// <summary>A semver 2.0 version with its precedence rules (build metadata ignored), for choosing the newest plugin.</summary>
// Shared as source with the generator (docs/manifest.md, "One contract"): public here, internal there.
#if VYRA_GENERATOR
internal
#else
public
#endif
sealed record SemanticVersion(int Major, int Minor, int Patch, string? PreRelease) : IComparable<SemanticVersion>
{
    /// <summary>Parses <c>1.2.3</c>, <c>1.2.3-beta.1</c>, <c>1.2.3+build</c>; null when it is not a version.</summary>
    public static SemanticVersion? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var plus = text!.IndexOf('+');
        var core = plus >= 0 ? text.Substring(0, plus) : text;
        var dash = core.IndexOf('-');
        var pre = dash >= 0 ? core.Substring(dash + 1) : null;
        var parts = (dash >= 0 ? core.Substring(0, dash) : core).Split('.');
        if (parts.Length != 3 || pre is "") return null;
        var numbers = new int[3];
        for (var i = 0; i < 3; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i])) return null;
        }
        return new SemanticVersion(numbers[0], numbers[1], numbers[2], pre);
    }

    /// <inheritdoc />
    public int CompareTo(SemanticVersion? other)
    {
        if (other is null) return 1;
        var byCore = (Major, Minor, Patch).CompareTo((other.Major, other.Minor, other.Patch));
        if (byCore != 0) return byCore;
        if (PreRelease == other.PreRelease) return 0;
        if (PreRelease is null) return 1;        // a release outranks its pre-releases
        if (other.PreRelease is null) return -1;
        var mine = PreRelease.Split('.');
        var theirs = other.PreRelease.Split('.');
        for (var i = 0; i < Math.Min(mine.Length, theirs.Length); i++)
        {
            var a = int.TryParse(mine[i], NumberStyles.None, CultureInfo.InvariantCulture, out var x);
            var b = int.TryParse(theirs[i], NumberStyles.None, CultureInfo.InvariantCulture, out var y);
            var c = (a, b) switch
            {
                (true, true) => x.CompareTo(y),
                (true, false) => -1,             // numeric identifiers rank below alphanumeric ones
                (false, true) => 1,
                _ => string.CompareOrdinal(mine[i], theirs[i]),
            };
            if (c != 0) return c;
        }
        return mine.Length.CompareTo(theirs.Length);
    }

    /// <inheritdoc />
    public override string ToString() => PreRelease is null ? $"{Major}.{Minor}.{Patch}" : $"{Major}.{Minor}.{Patch}-{PreRelease}";
}
