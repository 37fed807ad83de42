using System;
using System.Collections.Generic;

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
}

/// <summary>
/// The start of every line of a text, found once, so that locating many problems costs a binary search each rather than
/// a scan of up to 1 MiB each (a manifest with thousands of warnings must not take quadratic time).
/// </summary>
internal sealed class LineIndex
{
    private readonly List<int> _starts = new() { 0 };
    private readonly int _length;

    public LineIndex(string text)
    {
        _length = text.Length;
        // The line breaks Roslyn counts (\n, \r\n, a lone \r, U+0085, U+2028, U+2029), so the kernel's line and column
        // are the generator's diagnostic position.
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') continue;
            if (c is '\n' or '\r' or '\u0085' or '\u2028' or '\u2029') _starts.Add(i + 1);
        }
    }

    public TextPosition PositionOf(int offset)
    {
        offset = Math.Max(0, Math.Min(offset, _length));
        var index = _starts.BinarySearch(offset);
        var line = index >= 0 ? index : ~index - 1;
        return new TextPosition(line + 1, offset - _starts[line] + 1);
    }
}
