using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace Vyra.Sdk.Generators.Naming;

/// <summary>Turns manifest names into C# identifiers: PascalCase types and methods, camelCase parameters, keywords escaped.</summary>
internal static class Identifiers
{
    /// <summary>
    /// Splits on separators (<c>_ - .</c> and anything not a letter or digit) and capitalizes each word, keeping the
    /// rest of each word as written: <c>get_count</c> → <c>GetCount</c>, <c>counter-widget</c> → <c>CounterWidget</c>,
    /// <c>getHTTP</c> → <c>GetHTTP</c>. Empty when the name has no letters or digits.
    /// </summary>
    public static string ToPascalCase(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var word in Words(name))
        {
            builder.Append(char.ToUpperInvariant(word[0]));
            builder.Append(word, 1, word.Length - 1);
        }
        if (builder.Length > 0 && char.IsDigit(builder[0])) builder.Insert(0, '_');
        return builder.ToString();
    }

    /// <summary>PascalCase with a lower-case first letter: <c>start_value</c> → <c>startValue</c>; <c>URL</c> → <c>uRL</c> is avoided: a leading all-caps word is lowered whole.</summary>
    public static string ToCamelCase(string name)
    {
        var pascal = ToPascalCase(name);
        if (pascal.Length == 0) return pascal;
        var upperRun = 0;
        while (upperRun < pascal.Length && char.IsUpper(pascal[upperRun])) upperRun++;
        if (upperRun <= 1 || upperRun == pascal.Length) return pascal.Substring(0, upperRun).ToLowerInvariant() + pascal.Substring(upperRun);
        // "HTTPServer" → "httpServer": keep the capital that starts the next word.
        return pascal.Substring(0, upperRun - 1).ToLowerInvariant() + pascal.Substring(upperRun - 1);
    }

    /// <summary>Prefixes C# keywords (reserved and contextual ones that could confuse a reader) with <c>@</c>.</summary>
    public static string Escape(string identifier)
    {
        if (SyntaxFacts.GetKeywordKind(identifier) != SyntaxKind.None) return "@" + identifier;
        if (SyntaxFacts.GetContextualKeywordKind(identifier) is SyntaxKind.VarKeyword or SyntaxKind.AwaitKeyword or SyntaxKind.YieldKeyword)
        {
            return "@" + identifier;
        }
        return identifier;
    }

    /// <summary>True for a plain (unescaped) C# identifier.</summary>
    public static bool IsValid(string identifier) =>
        identifier.Length > 0 && SyntaxFacts.IsValidIdentifier(identifier) && SyntaxFacts.GetKeywordKind(identifier) == SyntaxKind.None;

    private static IEnumerable<string> Words(string name)
    {
        var start = -1;
        for (var i = 0; i <= name.Length; i++)
        {
            var isPart = i < name.Length && char.IsLetterOrDigit(name[i]) && name[i] < 128;
            if (isPart && start < 0) start = i;
            if (!isPart && start >= 0)
            {
                yield return name.Substring(start, i - start);
                start = -1;
            }
        }
    }
}
