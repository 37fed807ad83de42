using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;


namespace Vyra.Sdk.Contract;

/// <summary>
/// A small strict JSON reader (RFC 8259, plus a tolerated UTF-8 byte order mark) that remembers the span of every
/// value. Our own on purpose: it knows spans for diagnostics, and System.Text.Json is not loadable in every compiler host.
/// </summary>
internal sealed class ManifestJsonReader
{
    private const int MaxDepth = 64;
    private readonly string _text;
    private int _position;

    private ManifestJsonReader(string text)
    {
        _text = text;
    }

    /// <summary>Parses a whole document; throws <see cref="ManifestSyntaxException"/> on the first error.</summary>
    public static ManifestNode Parse(string text)
    {
        var reader = new ManifestJsonReader(text);
        if (reader.Peek() == '\uFEFF') reader._position++;
        reader.SkipWhitespace();
        if (reader.AtEnd) throw new ManifestSyntaxException("the file is empty; expected a JSON object", reader._position);
        var value = reader.ReadValue(0);
        reader.SkipWhitespace();
        if (!reader.AtEnd) throw new ManifestSyntaxException($"unexpected '{reader.Peek()}' after the end of the document", reader._position);
        return value;
    }

    private bool AtEnd => _position >= _text.Length;

    private char Peek() => _position < _text.Length ? _text[_position] : '\0';

    private void SkipWhitespace()
    {
        while (!AtEnd && _text[_position] is ' ' or '\t' or '\r' or '\n') _position++;
    }

    private ManifestNode ReadValue(int depth)
    {
        if (depth > MaxDepth) throw new ManifestSyntaxException($"nesting deeper than {MaxDepth} levels", _position);
        if (AtEnd) throw new ManifestSyntaxException("unexpected end of file; expected a value", _position);
        var c = Peek();
        switch (c)
        {
            case '{': return ReadObject(depth);
            case '[': return ReadArray(depth);
            case '"':
                var start = _position;
                var text = ReadString();
                return ManifestNode.Scalar(NodeKind.String, SourceSpan.FromBounds(start, _position), text);
            case 't': return ReadLiteral("true", NodeKind.True);
            case 'f': return ReadLiteral("false", NodeKind.False);
            case 'n': return ReadLiteral("null", NodeKind.Null);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
                throw new ManifestSyntaxException($"unexpected character '{c}'; expected a value", _position);
        }
    }

    private ManifestNode ReadObject(int depth)
    {
        var start = _position++;
        var properties = new List<ManifestProperty>();
        SkipWhitespace();
        if (Peek() == '}')
        {
            _position++;
            return ManifestNode.Object(SourceSpan.FromBounds(start, _position), properties);
        }
        // Python's json keeps the last of two equal keys, System.Text.Json and this reader would see the first: a manifest
        // that reads differently in different runtimes is refused, as the YAML reader refuses it.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            SkipWhitespace();
            if (Peek() != '"') throw new ManifestSyntaxException(AtEnd ? "unexpected end of file inside an object" : $"expected a property name in double quotes, found '{Peek()}'", _position);
            var nameStart = _position;
            var name = ReadString();
            if (!seen.Add(name)) throw new ManifestSyntaxException($"property \"{name}\" appears twice in this object", nameStart);
            var nameSpan = SourceSpan.FromBounds(nameStart, _position);
            SkipWhitespace();
            if (Peek() != ':') throw new ManifestSyntaxException($"expected ':' after property \"{name}\"", _position);
            _position++;
            SkipWhitespace();
            properties.Add(new ManifestProperty(name, nameSpan, ReadValue(depth + 1)));
            SkipWhitespace();
            var c = Peek();
            _position++;
            if (c == ',') continue;
            if (c == '}') return ManifestNode.Object(SourceSpan.FromBounds(start, _position), properties);
            _position--;
            throw new ManifestSyntaxException(AtEnd ? "unexpected end of file inside an object" : $"expected ',' or '}}', found '{c}'", _position);
        }
    }

    private ManifestNode ReadArray(int depth)
    {
        var start = _position++;
        var items = new List<ManifestNode>();
        SkipWhitespace();
        if (Peek() == ']')
        {
            _position++;
            return ManifestNode.Array(SourceSpan.FromBounds(start, _position), items);
        }
        while (true)
        {
            SkipWhitespace();
            items.Add(ReadValue(depth + 1));
            SkipWhitespace();
            var c = Peek();
            _position++;
            if (c == ',') continue;
            if (c == ']') return ManifestNode.Array(SourceSpan.FromBounds(start, _position), items);
            _position--;
            throw new ManifestSyntaxException(AtEnd ? "unexpected end of file inside a list" : $"expected ',' or ']', found '{c}'", _position);
        }
    }

    private ManifestNode ReadLiteral(string literal, NodeKind kind)
    {
        if (string.CompareOrdinal(_text, _position, literal, 0, literal.Length) != 0)
        {
            throw new ManifestSyntaxException($"unexpected character '{Peek()}'; expected a value", _position);
        }
        var start = _position;
        _position += literal.Length;
        return ManifestNode.Scalar(kind, SourceSpan.FromBounds(start, _position));
    }

    private ManifestNode ReadNumber()
    {
        var start = _position;
        if (Peek() == '-') _position++;
        if (Peek() == '0')
        {
            _position++;
        }
        else if (Peek() >= '1' && Peek() <= '9')
        {
            while (IsAsciiDigit(Peek())) _position++;
        }
        else
        {
            throw new ManifestSyntaxException("invalid number", _position);
        }
        if (Peek() == '.')
        {
            _position++;
            if (!IsAsciiDigit(Peek())) throw new ManifestSyntaxException("invalid number: a digit must follow '.'", _position);
            while (IsAsciiDigit(Peek())) _position++;
        }
        if (Peek() is 'e' or 'E')
        {
            _position++;
            if (Peek() is '+' or '-') _position++;
            if (!IsAsciiDigit(Peek())) throw new ManifestSyntaxException("invalid number: a digit must follow the exponent", _position);
            while (IsAsciiDigit(Peek())) _position++;
        }
        return ManifestNode.Scalar(NodeKind.Number, SourceSpan.FromBounds(start, _position), _text.Substring(start, _position - start));
    }

    // JSON digits are ASCII: char.IsDigit would take any Unicode decimal digit (1٣) into a number's text.
    private static bool IsAsciiDigit(char c) => c >= '0' && c <= '9';

    private string ReadString()
    {
        var start = _position;
        _position++; // opening quote
        StringBuilder? builder = null;
        var runStart = _position;
        while (true)
        {
            if (AtEnd) throw new ManifestSyntaxException("unterminated string", start);
            var c = _text[_position];
            if (c == '"')
            {
                var tail = _text.Substring(runStart, _position - runStart);
                _position++;
                return builder is null ? tail : builder.Append(tail).ToString();
            }
            if (c < ' ') throw new ManifestSyntaxException("control character in a string (escape it, e.g. \\n)", _position);
            if (c != '\\')
            {
                _position++;
                continue;
            }
            builder ??= new StringBuilder();
            builder.Append(_text, runStart, _position - runStart);
            _position++;
            var escape = Peek();
            _position++;
            switch (escape)
            {
                case '"': builder.Append('"'); break;
                case '\\': builder.Append('\\'); break;
                case '/': builder.Append('/'); break;
                case 'b': builder.Append('\b'); break;
                case 'f': builder.Append('\f'); break;
                case 'n': builder.Append('\n'); break;
                case 'r': builder.Append('\r'); break;
                case 't': builder.Append('\t'); break;
                case 'u':
                    if (_position + 4 > _text.Length
                        || !int.TryParse(_text.Substring(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                    {
                        throw new ManifestSyntaxException("invalid \\u escape (four hex digits expected)", _position - 2);
                    }
                    builder.Append((char)code);
                    _position += 4;
                    break;
                default:
                    throw new ManifestSyntaxException($"invalid escape '\\{escape}'", _position - 2);
            }
            runStart = _position;
        }
    }
}
