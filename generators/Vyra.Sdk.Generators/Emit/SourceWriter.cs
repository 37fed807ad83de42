using System;
using System.Text;

namespace Vyra.Sdk.Generators.Emit;

/// <summary>A small indenting writer for generated C#; lines end with <c>\n</c> on every platform.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _builder = new();
    private int _indent;

    public SourceWriter Line(string text = "")
    {
        if (text.Length > 0) _builder.Append(' ', _indent * 4).Append(text);
        _builder.Append('\n');
        return this;
    }

    /// <summary>Writes several lines (split on newlines), each at the current indentation.</summary>
    public SourceWriter Lines(string text)
    {
        foreach (var line in text.Replace("\r\n", "\n").Split('\n')) Line(line);
        return this;
    }

    public SourceWriter Open(string head)
    {
        Line(head);
        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Close(string tail = "}")
    {
        _indent = Math.Max(0, _indent - 1);
        Line(tail);
        return this;
    }

    /// <summary>Writes an XML doc <c>&lt;summary&gt;</c> with <paramref name="text"/> escaped, one line per source line.</summary>
    public SourceWriter Summary(string text)
    {
        Line("/// <summary>");
        foreach (var line in text.Replace("\r\n", "\n").Split('\n')) Line("/// " + Xml(line));
        Line("/// </summary>");
        return this;
    }

    public static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    public override string ToString() => _builder.ToString();
}
