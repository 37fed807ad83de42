using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Vyra.Plugin;

/// <summary>Source-generated serializer metadata for the JSON shapes the ABI moves (no reflection on these paths).</summary>
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class JsonNodeContext : JsonSerializerContext;
