using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;



namespace Vyra.Sdk.Contract;

/// <summary>
/// A small reader for the YAML subset VYRA manifests use, producing the same span-carrying <see cref="ManifestNode"/>
/// tree as <see cref="ManifestJsonReader"/> (spans point into the YAML text, so diagnostics land on its lines). Supported:
/// one document (an optional <c>---</c> start and <c>...</c> end), block mappings and sequences by indentation,
/// flow mappings and sequences (<c>{ name: step, type: i32 }</c>, <c>[a, b]</c>), plain, single- and double-quoted
/// scalars, literal and folded block scalars (<c>|</c>, <c>&gt;</c>), and <c>#</c> comments. Plain scalars are typed
/// by the YAML 1.2 core schema as the kernel types them (null, booleans, decimal integers and floats; anything else is
/// a string); quoted scalars are always strings. Anchors, aliases, tags, complex keys, directives, several documents
/// and multi-line plain or quoted scalars are reported as unsupported.
/// </summary>
internal sealed class ManifestYamlReader
{
    private const int MaxDepth = 64;

    private static readonly Regex IntPattern = new(@"^[-+]?[0-9]+$", RegexOptions.CultureInvariant);
    private static readonly Regex FloatPattern = new(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant);

    private readonly string _text;
    private int _position;

    private ManifestYamlReader(string text)
    {
        _text = text;
    }

    /// <summary>Parses a whole document; an empty document is <c>null</c>. Throws <see cref="ManifestSyntaxException"/>.</summary>
    public static ManifestNode Parse(string text)
    {
        var reader = new ManifestYamlReader(text);
        if (reader.Peek() == '\uFEFF') reader._position++;
        return reader.ReadDocument();
    }

    // ---- document --------------------------------------------------------------------------------------------

    private ManifestNode ReadDocument()
    {
        var indent = NextContentLine(stopAtMarkers: false);
        if (indent == 0 && Peek() == '%') throw Unsupported("YAML directives (%YAML, %TAG) are not supported", _position);
        if (indent == 0 && IsMarker("---"))
        {
            _position += 3;
            SkipSpaces();
            if (!AtLineEnd()) throw Unsupported("content on the '---' line is not supported; start it on the next line", _position);
            EndLine();
            indent = NextContentLine(stopAtMarkers: true);
        }
        else if (indent >= 0)
        {
            indent = NextContentLine(stopAtMarkers: true);
        }

        ManifestNode root;
        if (indent < 0)
        {
            root = ManifestNode.Scalar(NodeKind.Null, new SourceSpan(Math.Min(_position, _text.Length), 0));
        }
        else
        {
            _position += indent;
            root = ReadBlockNode(indent, 0);
            var next = NextContentLine(stopAtMarkers: true);
            if (next >= 0)
            {
                _position += next;
                throw Syntax("unexpected content after the document's top-level node (check the indentation)", _position);
            }
        }

        // Only a document end marker, comments and blank lines may follow.
        var after = NextContentLine(stopAtMarkers: false);
        if (after == 0 && IsMarker("..."))
        {
            _position += 3;
            SkipSpaces();
            if (!AtLineEnd()) throw Syntax("unexpected text after '...'", _position);
            EndLine();
            after = NextContentLine(stopAtMarkers: false);
        }
        if (after >= 0)
        {
            _position += after;
            if (after == 0 && IsMarker("---")) throw Unsupported("a manifest holds one YAML document; a second '---' is not supported", _position);
            throw Syntax("unexpected content after the end of the document", _position);
        }
        return root;
    }

    // ---- block context ------------------------------------------------------------------------------------------

    /// <summary>Reads the node that starts at the current position, whose column is <paramref name="indent"/>.</summary>
    private ManifestNode ReadBlockNode(int indent, int depth)
    {
        if (depth > MaxDepth) throw Syntax($"nesting deeper than {MaxDepth} levels", _position);
        if (IsSequenceEntry(_position)) return ReadBlockSequence(indent, depth);
        if (FindMappingColon(_position) >= 0) return ReadBlockMapping(indent, depth);
        var value = ReadInlineValue(indent, depth);
        EndLine();
        return value;
    }

    private ManifestNode ReadBlockMapping(int indent, int depth)
    {
        var start = _position;
        var properties = new List<ManifestProperty>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var end = _position;
        while (true)
        {
            var c = Peek();
            if (c == '?') throw Unsupported("complex mapping keys ('?') are not supported", _position);
            if (IsSequenceEntry(_position)) throw Syntax("a sequence entry where a mapping key was expected (check the indentation)", _position);
            var colon = FindMappingColon(_position);
            if (colon < 0) throw Syntax("expected 'key: value' in this mapping", _position);

            var keyStart = _position;
            var key = ReadKey(colon);
            var keySpan = SourceSpan.FromBounds(keyStart, _position);
            if (!seen.Add(key)) throw Syntax($"key '{key}' appears twice in this mapping", keyStart);
            _position = colon + 1;
            SkipSpaces();

            ManifestNode value;
            if (AtLineEnd())
            {
                var valueAnchor = colon + 1;
                EndLine();
                var next = NextContentLine(stopAtMarkers: true);
                if (next > indent)
                {
                    _position += next;
                    value = ReadBlockNode(next, depth + 1);
                }
                else if (next == indent && IsSequenceEntry(_position + next))
                {
                    // "key:" followed by "- item" at the key's own column is a sequence value (YAML allows it).
                    _position += next;
                    value = ReadBlockSequence(indent, depth + 1);
                }
                else
                {
                    value = ManifestNode.Scalar(NodeKind.Null, new SourceSpan(valueAnchor, 0));
                }
            }
            else
            {
                value = ReadInlineValue(indent, depth + 1);
                EndLine();
            }
            properties.Add(new ManifestProperty(key, keySpan, value));
            end = Math.Max(value.Span.End, keySpan.End);

            var indentNext = NextContentLine(stopAtMarkers: true);
            if (indentNext < indent) break;
            _position += indentNext;
            if (indentNext > indent)
            {
                throw Syntax("unexpected indentation (a plain scalar over several lines is not supported: quote it or use | or >)", _position);
            }
        }
        return ManifestNode.Object(SourceSpan.FromBounds(start, end), properties);
    }

    private ManifestNode ReadBlockSequence(int indent, int depth)
    {
        var start = _position;
        var items = new List<ManifestNode>();
        var end = _position;
        while (true)
        {
            if (!IsSequenceEntry(_position)) throw Syntax("expected a sequence entry '- ...' (check the indentation)", _position);
            var dash = _position;
            _position++;
            SkipSpaces();
            ManifestNode item;
            if (AtLineEnd())
            {
                EndLine();
                var next = NextContentLine(stopAtMarkers: true);
                if (next > indent)
                {
                    _position += next;
                    item = ReadBlockNode(next, depth + 1);
                }
                else
                {
                    item = ManifestNode.Scalar(NodeKind.Null, new SourceSpan(dash + 1, 0));
                }
            }
            else
            {
                // "- key: value" opens a mapping whose column is that of its first key; "- - x" a nested sequence.
                item = ReadBlockNode(Column(_position), depth + 1);
            }
            items.Add(item);
            end = Math.Max(item.Span.End, dash + 1);

            var indentNext = NextContentLine(stopAtMarkers: true);
            if (indentNext < indent) break;
            if (indentNext == indent && !IsSequenceEntry(_position + indentNext)) break; // the enclosing mapping goes on
            _position += indentNext;
            if (indentNext > indent)
            {
                throw Syntax("unexpected indentation (a plain scalar over several lines is not supported: quote it or use | or >)", _position);
            }
        }
        return ManifestNode.Array(SourceSpan.FromBounds(start, end), items);
    }

    /// <summary>A value on the rest of the current line (or a block scalar starting there); the line end is left for the caller.</summary>
    private ManifestNode ReadInlineValue(int indent, int depth)
    {
        var c = Peek();
        switch (c)
        {
            case '{':
            case '[':
                return ReadFlowNode(depth);
            case '"':
                return ReadDoubleQuoted();
            case '\'':
                return ReadSingleQuoted();
            case '|':
            case '>':
                return ReadBlockScalar(indent);
            case '&':
                throw Unsupported("anchors ('&') are not supported", _position);
            case '*':
                throw Unsupported("aliases ('*') are not supported", _position);
            case '!':
                throw Unsupported("tags ('!') are not supported", _position);
            case '?':
                throw Unsupported("complex mapping keys ('?') are not supported", _position);
            case '@':
            case '`':
                throw Syntax($"'{c}' is reserved in YAML and cannot start a plain scalar; quote the value", _position);
            case '%':
                throw Unsupported("'%' cannot start a plain scalar here; quote the value", _position);
        }
        if (IsSequenceEntry(_position)) throw Syntax("a block sequence cannot start on the line of its key; start it on the next line", _position);
        var start = _position;
        while (!AtLineEnd())
        {
            if (Peek() == ':' && IsBlank(PeekAt(_position + 1)))
            {
                throw Syntax("a mapping cannot start on the line of its key; start it on the next line, indented", _position);
            }
            _position++;
        }
        var endPos = _position;
        while (endPos > start && _text[endPos - 1] is ' ' or '\t') endPos--;
        return Plain(start, endPos);
    }

    private ManifestNode ReadBlockScalar(int indent)
    {
        var start = _position;
        var folded = Peek() == '>';
        _position++;
        var chomp = ' ';
        int? explicitIndent = null;
        for (var i = 0; i < 2; i++)
        {
            var h = Peek();
            if ((h == '-' || h == '+') && chomp == ' ')
            {
                chomp = h;
                _position++;
            }
            else if (h >= '1' && h <= '9' && explicitIndent is null)
            {
                explicitIndent = h - '0';
                _position++;
            }
        }
        SkipSpaces();
        if (!AtLineEnd()) throw Syntax("unexpected text after a block scalar indicator", _position);
        var headerEnd = _position;
        EndLine();

        // Content lines: indented more than the owner; blank lines inside belong to the scalar.
        var lines = new List<string>();
        var contentIndent = explicitIndent is { } e ? indent + e : -1;
        var end = headerEnd;
        while (_position < _text.Length)
        {
            var lineStart = _position;
            var lineEnd = LineEnd(lineStart);
            var textEnd = lineEnd > lineStart && _text[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
            var spaces = 0;
            while (lineStart + spaces < textEnd && _text[lineStart + spaces] == ' ') spaces++;
            var blank = lineStart + spaces >= textEnd;
            if (!blank)
            {
                if (contentIndent < 0)
                {
                    if (spaces <= indent) break;
                    contentIndent = spaces;
                }
                if (spaces < contentIndent) break;
                end = textEnd;
            }
            lines.Add(blank ? "" : _text.Substring(lineStart + contentIndent, textEnd - lineStart - contentIndent));
            _position = lineEnd < _text.Length ? lineEnd + 1 : lineEnd;
        }
        // Back to the end of the last content line: the caller finishes that line as after any other value.
        _position = end;
        var trailingBlank = 0;
        for (var i = lines.Count - 1; i >= 0 && lines[i].Length == 0; i--) trailingBlank++;
        var content = lines.GetRange(0, lines.Count - trailingBlank);

        var builder = new StringBuilder();
        for (var i = 0; i < content.Count; i++)
        {
            if (i > 0)
            {
                var previous = content[i - 1];
                var current = content[i];
                var previousPlain = previous.Length > 0 && previous[0] != ' ';
                if (folded && previousPlain && current.Length > 0 && current[0] != ' ') builder.Append(' ');
                else if (!(folded && previousPlain && current.Length == 0)) builder.Append('\n');
            }
            builder.Append(content[i]);
        }
        var value = builder.ToString();
        if (content.Count > 0 && chomp != '-') value += "\n";
        if (chomp == '+') value += new string('\n', trailingBlank);
        return ManifestNode.Scalar(NodeKind.String, SourceSpan.FromBounds(start, Math.Max(end, start + 1)), value);
    }

    private string ReadKey(int colon)
    {
        var c = Peek();
        if (c == '"' || c == '\'')
        {
            var key = c == '"' ? ReadDoubleQuoted() : ReadSingleQuoted();
            SkipSpaces();
            if (_position != colon) throw Syntax("expected ':' after the key", _position);
            return key.Text!;
        }
        if (c == '{' || c == '[') throw Unsupported("flow collections as mapping keys are not supported", _position);
        if (c is '&' or '*' or '!') throw Unsupported("anchors, aliases and tags are not supported", _position);
        var end = colon;
        while (end > _position && _text[end - 1] is ' ' or '\t') end--;
        var name = _text.Substring(_position, end - _position);
        _position = end;
        return name;
    }

    // ---- flow context -------------------------------------------------------------------------------------------

    private ManifestNode ReadFlowNode(int depth)
    {
        if (depth > MaxDepth) throw Syntax($"nesting deeper than {MaxDepth} levels", _position);
        var c = Peek();
        switch (c)
        {
            case '{': return ReadFlowMapping(depth);
            case '[': return ReadFlowSequence(depth);
            case '"': return ReadDoubleQuoted();
            case '\'': return ReadSingleQuoted();
            case '&': throw Unsupported("anchors ('&') are not supported", _position);
            case '*': throw Unsupported("aliases ('*') are not supported", _position);
            case '!': throw Unsupported("tags ('!') are not supported", _position);
            case '?': throw Unsupported("complex mapping keys ('?') are not supported", _position);
            case '|':
            case '>':
                throw Syntax("block scalars cannot appear inside [ ] or { }", _position);
        }
        var start = _position;
        while (_position < _text.Length)
        {
            var ch = _text[_position];
            if (ch is ',' or '[' or ']' or '{' or '}' or '\n' or '\r') break;
            if (ch == ':' && (IsBlank(PeekAt(_position + 1)) || PeekAt(_position + 1) is ',' or ']' or '}')) break;
            if (ch == '#' && _position > start && _text[_position - 1] is ' ' or '\t') break;
            _position++;
        }
        var end = _position;
        while (end > start && _text[end - 1] is ' ' or '\t') end--;
        if (end == start) throw Syntax("expected a value", start);
        return Plain(start, end);
    }

    private ManifestNode ReadFlowMapping(int depth)
    {
        var start = _position;
        _position++;
        var properties = new List<ManifestProperty>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            SkipFlowSpace();
            if (Peek() == '}')
            {
                _position++;
                return ManifestNode.Object(SourceSpan.FromBounds(start, _position), properties);
            }
            if (AtEnd) throw Syntax("unexpected end of file inside '{ }'", _position);
            var keyStart = _position;
            var keyValue = ReadFlowNode(depth + 1);
            if (keyValue.Kind is NodeKind.Object or NodeKind.Array) throw Unsupported("flow collections as mapping keys are not supported", keyStart);
            var key = keyValue.Kind == NodeKind.String ? keyValue.Text! : _text.Substring(keyValue.Span.Start, keyValue.Span.Length);
            if (!seen.Add(key)) throw Syntax($"key '{key}' appears twice in this mapping", keyStart);
            SkipFlowSpace();
            ManifestNode value;
            if (Peek() == ':')
            {
                var colon = _position;
                _position++;
                SkipFlowSpace();
                value = Peek() is ',' or '}' ? ManifestNode.Scalar(NodeKind.Null, new SourceSpan(colon + 1, 0)) : ReadFlowNode(depth + 1);
            }
            else
            {
                value = ManifestNode.Scalar(NodeKind.Null, new SourceSpan(keyValue.Span.End, 0));
            }
            properties.Add(new ManifestProperty(key, keyValue.Span, value));
            SkipFlowSpace();
            var c = Peek();
            if (c == ',')
            {
                _position++;
                continue;
            }
            if (c == '}') continue;
            throw Syntax(AtEnd ? "unexpected end of file inside '{ }'" : $"expected ',' or '}}' in a flow mapping, got '{c}'", _position);
        }
    }

    private ManifestNode ReadFlowSequence(int depth)
    {
        var start = _position;
        _position++;
        var items = new List<ManifestNode>();
        while (true)
        {
            SkipFlowSpace();
            if (Peek() == ']')
            {
                _position++;
                return ManifestNode.Array(SourceSpan.FromBounds(start, _position), items);
            }
            if (AtEnd) throw Syntax("unexpected end of file inside '[ ]'", _position);
            var itemStart = _position;
            items.Add(ReadFlowNode(depth + 1));
            SkipFlowSpace();
            var c = Peek();
            if (c == ':') throw Unsupported("'key: value' pairs inside '[ ]' are not supported; use '{ key: value }'", itemStart);
            if (c == ',')
            {
                _position++;
                continue;
            }
            if (c == ']') continue;
            throw Syntax(AtEnd ? "unexpected end of file inside '[ ]'" : $"expected ',' or ']' in a flow sequence, got '{c}'", _position);
        }
    }

    private void SkipFlowSpace()
    {
        while (!AtEnd)
        {
            var c = Peek();
            if (c is ' ' or '\t' or '\r' or '\n')
            {
                _position++;
            }
            else if (c == '#' && (_position == 0 || _text[_position - 1] is ' ' or '\t' or '\n' or '\r'))
            {
                while (!AtEnd && Peek() != '\n') _position++;
            }
            else
            {
                break;
            }
        }
    }

    // ---- scalars ----------------------------------------------------------------------------------------------

    private ManifestNode ReadDoubleQuoted()
    {
        var start = _position;
        _position++;
        var builder = new StringBuilder();
        while (true)
        {
            if (AtEnd) throw Syntax("unterminated double-quoted string", start);
            var c = _text[_position];
            if (c == '\n' || c == '\r') throw Unsupported("a quoted string over several lines is not supported; keep it on one line or use | or >", start);
            if (c == '"')
            {
                _position++;
                return ManifestNode.Scalar(NodeKind.String, SourceSpan.FromBounds(start, _position), builder.ToString());
            }
            if (c != '\\')
            {
                builder.Append(c);
                _position++;
                continue;
            }
            var escapeStart = _position;
            _position++;
            var e = Peek();
            _position++;
            switch (e)
            {
                case '0': builder.Append('\0'); break;
                case 'a': builder.Append('\a'); break;
                case 'b': builder.Append('\b'); break;
                case 't': case '\t': builder.Append('\t'); break;
                case 'n': builder.Append('\n'); break;
                case 'v': builder.Append('\v'); break;
                case 'f': builder.Append('\f'); break;
                case 'r': builder.Append('\r'); break;
                case 'e': builder.Append('\u001B'); break;
                case ' ': builder.Append(' '); break;
                case '"': builder.Append('"'); break;
                case '/': builder.Append('/'); break;
                case '\\': builder.Append('\\'); break;
                case 'N': builder.Append('\u0085'); break;
                case '_': builder.Append('\u00A0'); break;
                case 'L': builder.Append('\u2028'); break;
                case 'P': builder.Append('\u2029'); break;
                case 'x': builder.Append(HexEscape(2, escapeStart)); break;
                case 'u': builder.Append(HexEscape(4, escapeStart)); break;
                case 'U': builder.Append(HexEscape(8, escapeStart)); break;
                default: throw Syntax($"unknown escape '\\{e}' in a double-quoted string", escapeStart);
            }
        }
    }

    private string HexEscape(int digits, int escapeStart)
    {
        if (_position + digits > _text.Length
            || !int.TryParse(_text.Substring(_position, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
            || code < 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
        {
            throw Syntax($"invalid escape: expected {digits} hex digits of a Unicode scalar value", escapeStart);
        }
        _position += digits;
        return char.ConvertFromUtf32(code);
    }

    private ManifestNode ReadSingleQuoted()
    {
        var start = _position;
        _position++;
        var builder = new StringBuilder();
        while (true)
        {
            if (AtEnd) throw Syntax("unterminated single-quoted string", start);
            var c = _text[_position];
            if (c == '\n' || c == '\r') throw Unsupported("a quoted string over several lines is not supported; keep it on one line or use | or >", start);
            if (c == '\'')
            {
                if (PeekAt(_position + 1) == '\'')
                {
                    builder.Append('\'');
                    _position += 2;
                    continue;
                }
                _position++;
                return ManifestNode.Scalar(NodeKind.String, SourceSpan.FromBounds(start, _position), builder.ToString());
            }
            builder.Append(c);
            _position++;
        }
    }

    /// <summary>A plain scalar typed by the YAML 1.2 core schema plus YAML 1.1's yes/no/on/off booleans (as PyYAML reads them); numbers get JSON number text.</summary>
    private ManifestNode Plain(int start, int end)
    {
        var span = SourceSpan.FromBounds(start, end);
        var text = _text.Substring(start, end - start);
        switch (text)
        {
            case "":
            case "~":
            case "null":
            case "Null":
            case "NULL":
                return ManifestNode.Scalar(NodeKind.Null, span);
            case "true":
            case "True":
            case "TRUE":
            // Upstream loads manifests with PyYAML (YAML 1.1), which reads these as booleans too (docs/manifest.md).
            case "yes":
            case "Yes":
            case "YES":
            case "on":
            case "On":
            case "ON":
                return ManifestNode.Scalar(NodeKind.True, span);
            case "false":
            case "False":
            case "FALSE":
            case "no":
            case "No":
            case "NO":
            case "off":
            case "Off":
            case "OFF":
                return ManifestNode.Scalar(NodeKind.False, span);
        }
        if (IntPattern.IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return ManifestNode.Scalar(NodeKind.Number, span, integer.ToString(CultureInfo.InvariantCulture));
        }
        if (FloatPattern.IsMatch(text))
        {
            return ManifestNode.Scalar(NodeKind.Number, span, JsonNumber(text));
        }
        return ManifestNode.Scalar(NodeKind.String, span, text);
    }

    /// <summary>A YAML decimal float as JSON number text: no '+', a digit on both sides of the point.</summary>
    private static string JsonNumber(string text)
    {
        var sign = "";
        if (text[0] is '+' or '-')
        {
            if (text[0] == '-') sign = "-";
            text = text.Substring(1);
        }
        var exponent = "";
        var e = text.IndexOfAny(new[] { 'e', 'E' });
        if (e >= 0)
        {
            exponent = text.Substring(e);
            text = text.Substring(0, e);
        }
        // YAML allows leading zeros (01.5, 007 beyond a long); JSON number text does not.
        text = text.TrimStart('0');
        if (text.Length == 0 || text.StartsWith(".", StringComparison.Ordinal)) text = "0" + text;
        if (text.EndsWith(".", StringComparison.Ordinal)) text += "0";
        if (exponent.Length > 1 && exponent[1] == '+') exponent = exponent.Substring(0, 1) + exponent.Substring(2);
        return sign + text + exponent;
    }

    // ---- lines ------------------------------------------------------------------------------------------------

    private bool AtEnd => _position >= _text.Length;

    private char Peek() => PeekAt(_position);

    private char PeekAt(int position) => position < _text.Length ? _text[position] : '\0';

    private static bool IsBlank(char c) => c is ' ' or '\t' or '\r' or '\n' or '\0';

    private void SkipSpaces()
    {
        while (!AtEnd && _text[_position] is ' ' or '\t') _position++;
    }

    /// <summary>True at the end of the line's content: a line break, the end of the file, or a comment.</summary>
    private bool AtLineEnd()
    {
        var c = Peek();
        return AtEnd || c is '\n' or '\r' || (c == '#' && (_position == 0 || _text[_position - 1] is ' ' or '\t'));
    }

    /// <summary>Finishes the current line: only spaces and a comment may remain; moves to the next line's start.</summary>
    private void EndLine()
    {
        SkipSpaces();
        if (!AtLineEnd()) throw Syntax($"unexpected text '{Peek()}' after a value", _position);
        while (!AtEnd && Peek() != '\n') _position++;
        if (!AtEnd) _position++;
    }

    private int LineEnd(int position)
    {
        var end = _text.IndexOf('\n', position);
        return end < 0 ? _text.Length : end;
    }

    private int Column(int position)
    {
        var lineStart = position == 0 ? 0 : _text.LastIndexOf('\n', position - 1) + 1;
        return position - lineStart;
    }

    /// <summary>
    /// From a line start, skips blank and comment-only lines; returns the indentation of the next content line with
    /// the position at its start, or -1 at the end of the file (or, when <paramref name="stopAtMarkers"/>, at a
    /// <c>---</c> / <c>...</c> line). Tabs in indentation are an error.
    /// </summary>
    private int NextContentLine(bool stopAtMarkers)
    {
        while (!AtEnd)
        {
            var lineStart = _position;
            var i = lineStart;
            while (i < _text.Length && _text[i] == ' ') i++;
            var c = i < _text.Length ? _text[i] : '\n';
            if (c is '\n' || (c == '\r' && (i + 1 >= _text.Length || _text[i + 1] == '\n')) || c == '#')
            {
                var end = LineEnd(i);
                _position = end < _text.Length ? end + 1 : end;
                continue;
            }
            if (c == '\t')
            {
                var j = i;
                while (j < _text.Length && _text[j] is ' ' or '\t') j++;
                if (j < _text.Length && _text[j] is not ('\n' or '\r' or '#')) throw Syntax("tabs cannot indent YAML; use spaces", i);
                var end = LineEnd(j);
                _position = end < _text.Length ? end + 1 : end;
                continue;
            }
            _position = lineStart;
            if (stopAtMarkers && i == lineStart && (IsMarker("---") || IsMarker("..."))) return -1;
            return i - lineStart;
        }
        return -1;
    }

    private bool IsMarker(string marker) =>
        string.CompareOrdinal(_text, _position, marker, 0, 3) == 0 && IsBlank(PeekAt(_position + 3));

    private bool IsSequenceEntry(int position) => PeekAt(position) == '-' && IsBlank(PeekAt(position + 1));

    /// <summary>
    /// When the line from <paramref name="position"/> is a block mapping entry (<c>key: ...</c>), the position of its
    /// ':' ; else -1. Flow collections and anything after a comment never count.
    /// </summary>
    private int FindMappingColon(int position)
    {
        var c = PeekAt(position);
        var i = position;
        if (c is '"' or '\'')
        {
            i++;
            while (i < _text.Length && _text[i] is not ('\n' or '\r'))
            {
                if (_text[i] == '\\' && c == '"')
                {
                    i += 2;
                    continue;
                }
                if (_text[i] == c)
                {
                    if (c == '\'' && PeekAt(i + 1) == '\'')
                    {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i++;
            }
            if (i >= _text.Length || _text[i] != c) return -1;
            i++;
            while (i < _text.Length && _text[i] is ' ' or '\t') i++;
            return PeekAt(i) == ':' && IsBlank(PeekAt(i + 1)) ? i : -1;
        }
        if (c is '{' or '[' or '#' or '|' or '>') return -1;
        while (i < _text.Length && _text[i] is not ('\n' or '\r'))
        {
            if (_text[i] == '#' && i > position && _text[i - 1] is ' ' or '\t') return -1;
            if (_text[i] == ':' && IsBlank(PeekAt(i + 1))) return i;
            i++;
        }
        return -1;
    }

    private static ManifestSyntaxException Syntax(string message, int position) => new(message, position);

    private static ManifestSyntaxException Unsupported(string message, int position) => new(message, position, unsupported: true);
}
