namespace Vyra.Sdk.Contract;

/// <summary>A 1-based line and column in a manifest's text, as messages print them: <c>file(line,column)</c>.</summary>
internal readonly struct TextPosition
{
    public TextPosition(int line, int column)
    {
        Line = line;
        Column = column;
    }

    public int Line { get; }

    public int Column { get; }

    /// <summary>The position of character <paramref name="offset"/> (clamped to the text).</summary>
    public static TextPosition Of(string text, int offset)
    {
        if (offset > text.Length) offset = text.Length;
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < offset; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return new TextPosition(line, offset - lineStart + 1);
    }
}
