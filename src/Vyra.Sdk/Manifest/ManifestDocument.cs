using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vyra.Sdk;

/// <summary>
/// The raw shape of <c>metadata.json</c> as System.Text.Json reads it. Fields whose VYRA spellings vary
/// (string or object exports, typed or plain state) stay <see cref="JsonElement"/> and are checked by
/// <see cref="ManifestReader"/>, which can then name the line of a bad value.
/// </summary>
internal sealed class ManifestDocument
{
    [JsonPropertyName("id")] public JsonElement? Id { get; set; }
    [JsonPropertyName("version")] public JsonElement? Version { get; set; }
    [JsonPropertyName("name")] public JsonElement? Name { get; set; }
    [JsonPropertyName("description")] public JsonElement? Description { get; set; }
    [JsonPropertyName("exports")] public JsonElement? Exports { get; set; }
    [JsonPropertyName("imports")] public JsonElement? Imports { get; set; }
    [JsonPropertyName("initial_state")] public JsonElement? InitialState { get; set; }
    [JsonPropertyName("events")] public JsonElement? Events { get; set; }
    [JsonPropertyName("entry_points")] public JsonElement? EntryPoints { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>Source-generated (reflection-free) serializer metadata for the manifest.</summary>
[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(ManifestDocument))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
