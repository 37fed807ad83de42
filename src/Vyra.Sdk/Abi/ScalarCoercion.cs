using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vyra.Sdk;

/// <summary>
/// Turns a caller's value into a wasm scalar the way the Python runtime did (<c>int(x)</c> / <c>float(x)</c>):
/// <c>"4"</c>→4, <c>" -4 "</c>→-4, <c>"1_000"</c>→1000, <c>2.9</c>→2, <c>true</c>→1, integers wrap modulo 2^32 (i32)
/// or 2^64 (i64). A value Python would reject throws <see cref="FormatException"/> with Python's reason.
/// Like Python (since 3.11), a decimal integer of more than <see cref="MaxIntegerDigits"/> digits is refused: parsing
/// one costs time quadratic in its length, so a cheap request could buy seconds of CPU.
/// </summary>
internal static class ScalarCoercion
{
    /// <summary>The most digits an integer given as text (or as a JSON number) may have: 4,300, Python's default limit.</summary>
    public const int MaxIntegerDigits = 4300;

    private static readonly BigInteger TwoTo32 = BigInteger.One << 32;
    private static readonly BigInteger TwoTo64 = BigInteger.One << 64;

    /// <summary><c>int(value)</c> wrapped to a signed 32-bit integer.</summary>
    public static int ToInt32(object? value)
    {
        switch (value)
        {
            case int i: return i;
            case long l: return unchecked((int)l);
            case bool b: return b ? 1 : 0;
        }
        var big = ToBigInteger(value) % TwoTo32;
        if (big.Sign < 0) big += TwoTo32;
        return unchecked((int)(uint)big);
    }

    /// <summary><c>int(value)</c> wrapped to a signed 64-bit integer.</summary>
    public static long ToInt64(object? value)
    {
        switch (value)
        {
            case long l: return l;
            case int i: return i;
            case bool b: return b ? 1 : 0;
        }
        var big = ToBigInteger(value) % TwoTo64;
        if (big.Sign < 0) big += TwoTo64;
        return unchecked((long)(ulong)big);
    }

    /// <summary><c>float(value)</c>.</summary>
    public static double ToDouble(object? value) => value switch
    {
        double d => d,
        float f => f,
        int i => i,
        long l => l,
        bool b => b ? 1 : 0,
        decimal m => (double)m,
        byte or sbyte or short or ushort or uint or ulong => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        BigInteger big => (double)big,
        string s => ParseFloat(s),
        JsonElement e => FromJson(e, ToDouble),
        JsonNode n => FromNode(n, ToDouble),
        null => throw new FormatException("float() argument must be a string or a real number, not 'NoneType'"),
        _ => throw new FormatException($"float() argument must be a string or a real number, not '{value.GetType().Name}'"),
    };

    /// <summary>Truthiness for <c>bool</c> arguments: booleans, numbers (non-zero) and the strings true/false/integers.</summary>
    public static bool ToBoolean(object? value) => value switch
    {
        bool b => b,
        string s when bool.TryParse(s.Trim(), out var parsed) => parsed,
        string s => ParseInteger(s) != 0,
        JsonElement { ValueKind: JsonValueKind.True } => true,
        JsonElement { ValueKind: JsonValueKind.False } => false,
        JsonElement e => FromJson(e, ToBoolean),
        JsonNode n => FromNode(n, ToBoolean),
        double or float or decimal => ToDouble(value) != 0,
        _ => ToBigInteger(value) != 0,
    };

    private static BigInteger ToBigInteger(object? value) => value switch
    {
        int i => i,
        long l => l,
        bool b => b ? 1 : 0,
        byte or sbyte or short or ushort or uint => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        ulong u => u,
        BigInteger big => big,
        double d => Truncate(d),
        float f => Truncate(f),
        decimal m => new BigInteger(decimal.Truncate(m)),
        string s => ParseInteger(s),
        JsonElement e => FromJson(e, ToBigInteger),
        JsonNode n => FromNode(n, ToBigInteger),
        null => throw new FormatException("int() argument must be a string, a number or a bool, not 'NoneType'"),
        _ => throw new FormatException($"int() argument must be a string, a number or a bool, not '{value.GetType().Name}'"),
    };

    private static BigInteger Truncate(double d)
    {
        if (double.IsNaN(d)) throw new FormatException("cannot convert float NaN to integer");
        if (double.IsInfinity(d)) throw new FormatException("cannot convert float infinity to integer");
        return new BigInteger(Math.Truncate(d));
    }

    /// <summary>JSON values convert like the Python values <c>json.loads</c> would give.</summary>
    private static T FromJson<T>(JsonElement element, Func<object?, T> convert) => element.ValueKind switch
    {
        JsonValueKind.Number => IsIntegerLiteral(element.GetRawText())
            ? convert(ParseJsonInteger(element.GetRawText()))
            : convert(element.GetDouble()),
        JsonValueKind.String => convert(JsonText(element)),
        JsonValueKind.True => convert(true),
        JsonValueKind.False => convert(false),
        JsonValueKind.Null => convert(null),
        _ => throw new FormatException($"a JSON {element.ValueKind.ToString().ToLowerInvariant()} cannot be converted to a number"),
    };

    private static string JsonText(JsonElement element)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            throw new FormatException($"the JSON string is not valid text: {ex.Message}");
        }
    }

    /// <summary>A JSON node holds either parsed JSON (a JsonElement) or the .NET value it was created from.</summary>
    private static T FromNode<T>(JsonNode node, Func<object?, T> convert)
    {
        if (node is not JsonValue value) throw new FormatException($"a JSON {node.GetValueKind().ToString().ToLowerInvariant()} cannot be converted to a number");
        if (value.TryGetValue<JsonElement>(out var element)) return FromJson(element, convert);
        return convert(value.GetValue<object>());
    }

    private static BigInteger ParseJsonInteger(string raw)
    {
        CheckDigitCount(raw.Length - (raw.StartsWith('-') ? 1 : 0));
        return BigInteger.Parse(raw, CultureInfo.InvariantCulture);
    }

    private static void CheckDigitCount(int digits)
    {
        if (digits > MaxIntegerDigits)
        {
            throw new FormatException($"Exceeds the limit ({MaxIntegerDigits} digits) for integer string conversion: value has {digits} digits");
        }
    }

    private static bool IsIntegerLiteral(string raw) => raw.AsSpan().IndexOfAny(".eE") < 0;

    /// <summary>Python's <c>int(str)</c> in base 10: surrounding whitespace, a sign, digits with single underscores between them.</summary>
    private static BigInteger ParseInteger(string text)
    {
        var s = text.AsSpan().Trim();
        var digits = StripSignAndUnderscores(s, out var negative);
        if (digits is null || digits.Length == 0 || !digits.All(char.IsDigit))
        {
            throw new FormatException($"invalid literal for int() with base 10: '{Shorten(text)}'");
        }
        CheckDigitCount(digits.Length);
        // Python accepts every Unicode decimal digit ("١٢٣" is 123); BigInteger wants ASCII.
        if (!digits.All(char.IsAsciiDigit))
        {
            digits = string.Concat(digits.Select(c => (char)('0' + CharUnicodeInfo.GetDecimalDigitValue(c))));
        }
        var value = BigInteger.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        return negative ? -value : value;
    }

    private static double ParseFloat(string text)
    {
        var s = text.AsSpan().Trim();
        var body = StripSignAndUnderscores(s, out var negative);
        if (body is not null)
        {
            switch (body.ToLowerInvariant())
            {
                case "inf" or "infinity": return negative ? double.NegativeInfinity : double.PositiveInfinity;
                case "nan": return double.NaN;
            }
            if (body.Length > 0 && body.All(c => char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-')
                && double.TryParse(body, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var d))
            {
                return negative ? -d : d;
            }
        }
        throw new FormatException($"could not convert string to float: '{Shorten(text)}'");
    }

    /// <summary>A rejected value is quoted in the message, but never megabytes of it.</summary>
    private static string Shorten(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 60), $"... ({text.Length} characters)");

    /// <summary>Removes one leading sign and the underscores Python allows between digits; null when an underscore is misplaced.</summary>
    private static string? StripSignAndUnderscores(ReadOnlySpan<char> s, out bool negative)
    {
        negative = false;
        if (s.Length > 0 && (s[0] == '+' || s[0] == '-'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s.IndexOf('_') < 0) return s.ToString();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '_' && (i == 0 || i == s.Length - 1 || !char.IsDigit(s[i - 1]) || !char.IsDigit(s[i + 1]))) return null;
        }
        return s.ToString().Replace("_", "", StringComparison.Ordinal);
    }
}
