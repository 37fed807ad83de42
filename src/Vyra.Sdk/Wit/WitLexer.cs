using System.Collections.Generic;


namespace Vyra.Sdk.Wit;

internal enum WitTokenKind
{
    Id,
    /// <summary>A version after <c>@</c>, such as <c>0.2.0</c> or <c>1.0.0-rc.1</c>.</summary>
    Version,
    Integer,
    Symbol,
    End,
}

/// <summary>One token: its text (an identifier without its <c>%</c>), where it starts, and whether <c>%</c> escaped a keyword.</summary>
internal readonly struct WitToken
{
    public WitToken(WitTokenKind kind, string text, int start, int length, int line, int column, bool escaped)
    {
        Kind = kind;
        Text = text;
        Start = start;
        Length = length;
        Line = line;
        Column = column;
        Escaped = escaped;
    }

    public WitTokenKind Kind { get; }
    public string Text { get; }
    public int Start { get; }
    public int Length { get; }
    public int Line { get; }
    public int Column { get; }
    public bool Escaped { get; }

    public bool Is(string symbolOrKeyword) => (Kind == WitTokenKind.Symbol || (Kind == WitTokenKind.Id && !Escaped)) && Text == symbolOrKeyword;

    public string Describe() => Kind switch
    {
        WitTokenKind.End => "the end of the file",
        WitTokenKind.Id => $"'{(Escaped ? "%" : "")}{Text}'",
        _ => $"'{Text}'",
    };
}

/// <summary>
/// WIT's tokens: identifiers (kebab-case words, <c>%</c> escaping a keyword), integers, versions after <c>@</c>, and
/// symbols. Comments (<c>//</c>, nested <c>/* */</c>, doc comments) are skipped. A character that cannot start a token
/// is a syntax error at its place.
/// </summary>
internal static class WitLexer
{
    public static List<WitToken> Lex(string text, out (string Message, int Start, int Line, int Column)? error)
    {
        var tokens = new List<WitToken>();
        error = null;
        var i = 0;
        var line = 1;
        var lineStart = 0;
        var afterAt = false;
        while (true)
        {
            // Whitespace and comments.
            while (i < text.Length)
            {
                var c = text[i];
                if (c == '\n') { i++; line++; lineStart = i; }
                else if (c == ' ' || c == '\t' || c == '\r') i++;
                else if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
                {
                    while (i < text.Length && text[i] != '\n') i++;
                }
                else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
                {
                    var depth = 0;
                    var startLine = line;
                    var startColumn = i - lineStart + 1;
                    var open = i;
                    do
                    {
                        if (i + 1 < text.Length && text[i] == '/' && text[i + 1] == '*') { depth++; i += 2; }
                        else if (i + 1 < text.Length && text[i] == '*' && text[i + 1] == '/') { depth--; i += 2; }
                        else
                        {
                            if (text[i] == '\n') { line++; lineStart = i + 1; }
                            i++;
                        }
                    }
                    while (depth > 0 && i < text.Length);
                    if (depth > 0)
                    {
                        error = ("a block comment is not closed", open, startLine, startColumn);
                        return tokens;
                    }
                }
                else break;
            }
            var column = i - lineStart + 1;
            if (i >= text.Length)
            {
                tokens.Add(new WitToken(WitTokenKind.End, "", i, 0, line, column, false));
                return tokens;
            }
            var ch = text[i];
            var start = i;
            if (afterAt)
            {
                afterAt = false;
                while (i < text.Length && (IsAsciiLetterOrDigit(text[i]) || text[i] is '.' or '-' or '+')) i++;
                if (i == start)
                {
                    error = ("a version is expected after '@'", start, line, column);
                    return tokens;
                }
                tokens.Add(new WitToken(WitTokenKind.Version, text.Substring(start, i - start), start, i - start, line, column, false));
                continue;
            }
            if (ch == '%' || IsAsciiLetter(ch))
            {
                var escaped = ch == '%';
                if (escaped) i++;
                var idStart = i;
                // kebab-case: words of letters and digits joined by single hyphens, each word starting with a letter.
                while (i < text.Length && (IsAsciiLetterOrDigit(text[i]) || text[i] == '-')) i++;
                var id = text.Substring(idStart, i - idStart);
                var problem = IdProblem(id);
                if (problem is not null)
                {
                    error = ($"'{(escaped ? "%" : "")}{id}' is not a WIT identifier: {problem}", start, line, column);
                    return tokens;
                }
                tokens.Add(new WitToken(WitTokenKind.Id, id, start, i - start, line, column, escaped));
                continue;
            }
            if (ch >= '0' && ch <= '9')
            {
                while (i < text.Length && text[i] >= '0' && text[i] <= '9') i++;
                tokens.Add(new WitToken(WitTokenKind.Integer, text.Substring(start, i - start), start, i - start, line, column, false));
                continue;
            }
            if (ch == '-' && i + 1 < text.Length && text[i + 1] == '>')
            {
                tokens.Add(new WitToken(WitTokenKind.Symbol, "->", start, 2, line, column, false));
                i += 2;
                continue;
            }
            if ("{}()<>,;:=./@*_".IndexOf(ch) >= 0)
            {
                tokens.Add(new WitToken(WitTokenKind.Symbol, ch.ToString(), start, 1, line, column, false));
                afterAt = ch == '@';
                i++;
                continue;
            }
            error = ($"unexpected character {Printable(ch)}", start, line, column);
            return tokens;
        }
    }

    /// <summary>Why <paramref name="id"/> is not kebab-case (words start with a letter; no empty words), or null.</summary>
    internal static string? IdProblem(string id)
    {
        if (id.Length == 0) return "it is empty";
        foreach (var word in id.Split('-'))
        {
            if (word.Length == 0) return "a hyphen must join two words";
            if (!IsAsciiLetter(word[0])) return $"the word '{word}' must start with a letter";
            var lower = false;
            var upper = false;
            foreach (var c in word)
            {
                if (c >= 'a' && c <= 'z') lower = true;
                else if (c >= 'A' && c <= 'Z') upper = true;
            }
            if (lower && upper) return $"the word '{word}' mixes upper and lower case";
        }
        return null;
    }

    private static bool IsAsciiLetter(char c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

    private static bool IsAsciiLetterOrDigit(char c) => IsAsciiLetter(c) || (c >= '0' && c <= '9');

    private static string Printable(char c) =>
        c < ' ' || c > '~' ? $"U+{(int)c:X4}" : $"'{c}'";
}
