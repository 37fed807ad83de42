using System.Collections;
using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vyra.Sdk;

/// <summary>
/// What generated proxies need on the <c>CallAsync</c> path (a <see cref="StubRuntime"/> or any non-Wasmtime runtime):
/// unpacking <c>{"result": ...}</c> and converting its values to the proxy's declared types. Lives in the kernel so every
/// consumer shares one tested copy instead of a generated one per project. A value of the wrong type is a
/// <see cref="PluginCallException"/> of kind <see cref="PluginErrorKind.Abi"/>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ProxySupport
{
    /// <summary>The single <c>result</c> of a call.</summary>
    public static object? Result(string pluginId, string function, IReadOnlyDictionary<string, object?> result)
    {
        if (result.TryGetValue("result", out var value)) return value;
        throw new PluginCallException(pluginId, function, "the call returned no 'result'", PluginErrorKind.Abi);
    }

    /// <summary>The <paramref name="count"/> values of a multi-value <c>result</c>.</summary>
    public static object?[] Results(string pluginId, string function, IReadOnlyDictionary<string, object?> result, int count)
    {
        var value = Result(pluginId, function, result);
        if (value is IList list && list.Count == count)
        {
            var values = new object?[count];
            for (var i = 0; i < count; i++) values[i] = list[i];
            return values;
        }
        if (value is JsonArray array && array.Count == count)
        {
            var values = new object?[count];
            for (var i = 0; i < count; i++) values[i] = array[i];
            return values;
        }
        throw new PluginCallException(pluginId, function, $"expected {count} results, got {Describe(value)}", PluginErrorKind.Abi);
    }

    /// <summary>A result as i32.</summary>
    public static int ToInt32(string pluginId, string function, object? value) => Convert(pluginId, function, value, ScalarCoercion.ToInt32);

    /// <summary>A result as i64.</summary>
    public static long ToInt64(string pluginId, string function, object? value) => Convert(pluginId, function, value, ScalarCoercion.ToInt64);

    /// <summary>A result as f32.</summary>
    public static float ToSingle(string pluginId, string function, object? value) => Convert(pluginId, function, value, static v => (float)ScalarCoercion.ToDouble(v));

    /// <summary>A result as f64.</summary>
    public static double ToDouble(string pluginId, string function, object? value) => Convert(pluginId, function, value, ScalarCoercion.ToDouble);

    /// <summary>A result as bool.</summary>
    public static bool ToBoolean(string pluginId, string function, object? value) => Convert(pluginId, function, value, ScalarCoercion.ToBoolean);

    /// <summary>A result as a string.</summary>
    public static string ToText(string pluginId, string function, object? value) => value switch
    {
        string text => text,
        JsonElement { ValueKind: JsonValueKind.String } element => element.GetString()!,
        JsonValue node when node.TryGetValue<string>(out var text) => text,
        _ => throw Mismatch(pluginId, function, "a string", value),
    };

    /// <summary>A result as bytes (a string is read as base64, the way JSON carries bytes).</summary>
    public static byte[] ToBytes(string pluginId, string function, object? value)
    {
        switch (value)
        {
            case byte[] bytes: return bytes;
            case ReadOnlyMemory<byte> memory: return memory.ToArray();
            case Memory<byte> memory: return memory.ToArray();
            case string text:
                try
                {
                    return System.Convert.FromBase64String(text);
                }
                catch (FormatException ex)
                {
                    throw new PluginCallException(pluginId, function, "the result is a string but not base64 bytes", PluginErrorKind.Abi, ex);
                }
            default: throw Mismatch(pluginId, function, "bytes", value);
        }
    }

    /// <summary>A result as JSON.</summary>
    public static JsonNode? ToJson(string pluginId, string function, object? value) => value switch
    {
        null => null,
        JsonNode node => node,
        JsonElement element => JsonNode.Parse(element.GetRawText()),
        string text => JsonValue.Create(text),
        bool flag => JsonValue.Create(flag),
        int number => JsonValue.Create(number),
        long number => JsonValue.Create(number),
        double number => JsonValue.Create(number),
        float number => JsonValue.Create(number),
        _ => throw Mismatch(pluginId, function, "JSON", value),
    };

    /// <summary>Completes a proxy's <c>CallAsync</c> path for a synchronous method.</summary>
    public static T Wait<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();

    /// <summary>Completes a proxy's <c>CallAsync</c> path for a synchronous method.</summary>
    public static void Wait(ValueTask task)
    {
        if (task.IsCompletedSuccessfully) return;
        task.AsTask().GetAwaiter().GetResult();
    }

    private static T Convert<T>(string pluginId, string function, object? value, Func<object?, T> convert)
    {
        try
        {
            return convert(value);
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or InvalidOperationException or OverflowException)
        {
            throw new PluginCallException(pluginId, function, $"the result {Describe(value)} has the wrong type: {ex.Message}", PluginErrorKind.Abi, ex);
        }
    }

    private static PluginCallException Mismatch(string pluginId, string function, string expected, object? value) =>
        new(pluginId, function, $"expected {expected} as the result, got {Describe(value)}", PluginErrorKind.Abi);

    private static string Describe(object? value) => value is null ? "null" : value.GetType().Name;
}
