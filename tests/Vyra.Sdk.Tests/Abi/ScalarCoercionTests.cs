using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vyra.Sdk;
using Xunit;

namespace Vyra.Sdk.Tests.Abi;

/// <summary>The Python-int() coercion table (docs/abi.md): what VYRA plugins got from the Python runtime.</summary>
public class ScalarCoercionTests
{
    public static TheoryData<object?, int> Int32Cases => new()
    {
        { 4, 4 },
        { "4", 4 },
        { " 42\n", 42 },
        { "+7", 7 },
        { "-7", -7 },
        { "1_000", 1000 },
        { "007", 7 },
        { "١٢٣", 123 },     // Arabic-Indic digits: Python's int() takes any Unicode decimal digit
        { " １２ ", 12 },    // full-width digits
        { 2.9, 2 },
        { -2.9, -2 },
        { 2.9f, 2 },
        { 3.99m, 3 },
        { true, 1 },
        { false, 0 },
        { 4294967296L, 0 },            // 2^32 wraps to 0
        { 2147483648L, int.MinValue }, // 2^31 wraps negative
        { -1L, -1 },
        { 4294967295L, -1 },
        { (byte)200, 200 },
        { ulong.MaxValue, -1 },
        { BigInteger.Pow(2, 70) + 5, 5 },
        { "99999999999999999999", unchecked((int)(ulong)(BigInteger.Parse("99999999999999999999") % BigInteger.Pow(2, 64))) },
        { 1e10, unchecked((int)10000000000L) },
    };

    [Theory]
    [MemberData(nameof(Int32Cases))]
    public void Int32_follows_python_int(object? value, int expected) => Assert.Equal(expected, ScalarCoercion.ToInt32(value));

    [Theory]
    [InlineData("4.0")]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("abc")]
    [InlineData("_1")]
    [InlineData("1__0")]
    [InlineData("1_")]
    [InlineData("0x10")]
    [InlineData("1e3")]
    [InlineData("--1")]
    public void Strings_python_rejects_are_format_errors(string value)
    {
        var ex = Assert.Throws<FormatException>(() => ScalarCoercion.ToInt32(value));
        Assert.Contains("invalid literal for int()", ex.Message);
    }

    [Fact]
    public void Null_nan_infinity_and_objects_are_rejected_with_python_reasons()
    {
        Assert.Contains("NoneType", Assert.Throws<FormatException>(() => ScalarCoercion.ToInt32(null)).Message);
        Assert.Contains("NaN", Assert.Throws<FormatException>(() => ScalarCoercion.ToInt32(double.NaN)).Message);
        Assert.Contains("infinity", Assert.Throws<FormatException>(() => ScalarCoercion.ToInt64(double.PositiveInfinity)).Message);
        Assert.Contains("Object", Assert.Throws<FormatException>(() => ScalarCoercion.ToInt32(new object())).Message);
    }

    [Fact]
    public void Int64_wraps_modulo_2_to_the_64()
    {
        Assert.Equal(long.MinValue, ScalarCoercion.ToInt64(BigInteger.Pow(2, 63)));
        Assert.Equal(-1L, ScalarCoercion.ToInt64(ulong.MaxValue));
        Assert.Equal(4294967296L, ScalarCoercion.ToInt64("4294967296"));
        Assert.Equal(5L, ScalarCoercion.ToInt64(BigInteger.Pow(2, 64) + 5));
    }

    [Fact]
    public void Json_values_convert_like_the_python_values_json_loads_gives()
    {
        using var doc = JsonDocument.Parse("""{"i":5,"f":2.7,"s":" 12 ","t":true,"big":18446744073709551617,"n":null,"o":{}}""");
        var root = doc.RootElement;
        Assert.Equal(5, ScalarCoercion.ToInt32(root.GetProperty("i")));
        Assert.Equal(2, ScalarCoercion.ToInt32(root.GetProperty("f")));
        Assert.Equal(12, ScalarCoercion.ToInt32(root.GetProperty("s")));
        Assert.Equal(1, ScalarCoercion.ToInt32(root.GetProperty("t")));
        Assert.Equal(1L, ScalarCoercion.ToInt64(root.GetProperty("big")));
        Assert.Throws<FormatException>(() => ScalarCoercion.ToInt32(root.GetProperty("n")));
        Assert.Throws<FormatException>(() => ScalarCoercion.ToInt32(root.GetProperty("o")));
        Assert.Equal(9, ScalarCoercion.ToInt32(JsonValue.Create(9)));
        Assert.Equal(3, ScalarCoercion.ToInt32(JsonNode.Parse("\"3\"")));
    }

    [Theory]
    [InlineData("1.5", 1.5)]
    [InlineData(" -2e3 ", -2000.0)]
    [InlineData("1_000.5", 1000.5)]
    [InlineData("inf", double.PositiveInfinity)]
    [InlineData("-Infinity", double.NegativeInfinity)]
    public void Floats_follow_python_float(string text, double expected) => Assert.Equal(expected, ScalarCoercion.ToDouble(text));

    [Fact]
    public void Float_accepts_numbers_and_bools_and_rejects_junk()
    {
        Assert.True(double.IsNaN(ScalarCoercion.ToDouble("nan")));
        Assert.Equal(3.0, ScalarCoercion.ToDouble(3));
        Assert.Equal(1.0, ScalarCoercion.ToDouble(true));
        Assert.Equal(0.25, ScalarCoercion.ToDouble(0.25f));
        Assert.Throws<FormatException>(() => ScalarCoercion.ToDouble("1.2.3"));
        Assert.Throws<FormatException>(() => ScalarCoercion.ToDouble(null));
    }

    [Fact]
    public void Booleans_take_truthiness()
    {
        Assert.True(ScalarCoercion.ToBoolean("true"));
        Assert.False(ScalarCoercion.ToBoolean(" False "));
        Assert.True(ScalarCoercion.ToBoolean(2));
        Assert.False(ScalarCoercion.ToBoolean("0"));
        Assert.False(ScalarCoercion.ToBoolean(0.0));
        Assert.Throws<FormatException>(() => ScalarCoercion.ToBoolean("maybe"));
    }
}
