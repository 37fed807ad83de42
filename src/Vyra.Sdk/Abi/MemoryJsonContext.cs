using System.Text.Json.Serialization;

namespace Vyra.Sdk;

/// <summary>
/// Source-generated JSON metadata for the plain values a caller may give a json argument (numbers, strings, booleans,
/// and dictionaries and lists of them): these serialize without reflection, so they work in trimmed and NativeAOT apps.
/// Values typed <see cref="object"/> inside a dictionary or list are serialized by their runtime type, which must be
/// listed here too.
/// </summary>
[JsonSourceGenerationOptions]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(byte))]
[JsonSerializable(typeof(sbyte))]
[JsonSerializable(typeof(short))]
[JsonSerializable(typeof(ushort))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(uint))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(ulong))]
[JsonSerializable(typeof(float))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(decimal))]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(List<object?>))]
[JsonSerializable(typeof(object[]))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(int[]))]
[JsonSerializable(typeof(long[]))]
[JsonSerializable(typeof(double[]))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonNode))]
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
internal sealed partial class MemoryJsonContext : JsonSerializerContext
{
}
