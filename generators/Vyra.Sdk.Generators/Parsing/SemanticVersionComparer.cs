using System;
using System.Collections.Generic;
using System.Globalization;

namespace Vyra.Sdk.Generators.Parsing;

/// <summary>Orders versions like SemVer (major.minor.patch, a pre-release sorts below its release); null and junk sort lowest.</summary>
internal sealed class SemanticVersionComparer : IComparer<string?>
{
    public static readonly SemanticVersionComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        var a = Split(x);
        var b = Split(y);
        for (var i = 0; i < 3; i++)
        {
            var c = a.Numbers[i].CompareTo(b.Numbers[i]);
            if (c != 0) return c;
        }
        if (a.PreRelease is null) return b.PreRelease is null ? 0 : 1;
        if (b.PreRelease is null) return -1;
        return string.CompareOrdinal(a.PreRelease, b.PreRelease);
    }

    private static (long[] Numbers, string? PreRelease) Split(string? version)
    {
        var numbers = new long[] { -1, -1, -1 };
        if (version is null) return (numbers, null);
        var core = version;
        var plus = core.IndexOf('+');
        if (plus >= 0) core = core.Substring(0, plus);
        string? pre = null;
        var dash = core.IndexOf('-');
        if (dash >= 0)
        {
            pre = core.Substring(dash + 1);
            core = core.Substring(0, dash);
        }
        var parts = core.Split('.');
        for (var i = 0; i < 3 && i < parts.Length; i++)
        {
            numbers[i] = long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
        }
        return (numbers, pre);
    }
}
