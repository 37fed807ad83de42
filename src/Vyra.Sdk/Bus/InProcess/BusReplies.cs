using System.Text.Json;

namespace Vyra.Sdk;

/// <summary>
/// The replies a transport gives when no server answered. Their <see cref="ServiceResponse.PluginId"/> is empty (nobody
/// answered); a guest sees it as <c>"plugin_id": null</c>. The timeout reply's error is exactly <c>timeout</c>, so
/// VYRA's <c>{"error":"timeout"}</c> check works.
/// </summary>
internal static class BusReplies
{
    public const string TimeoutError = "timeout";

    private static readonly JsonElement Null = JsonDocument.Parse("null").RootElement.Clone();

    public static ServiceResponse Timeout() => new(null, false, Null, TimeoutError);

    public static ServiceResponse NoServer(InterfaceAddress address) => new(null, false, Null, $"no server for '{address}'");

    public static ServiceResponse Failed(InterfaceAddress address, string why) => new(null, false, Null, why);

    /// <summary>JSON <c>null</c>, for a reply without data.</summary>
    public static JsonElement NullData => Null;
}
