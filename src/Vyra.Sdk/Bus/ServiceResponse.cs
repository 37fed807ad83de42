using System.Text.Json;

namespace Vyra.Sdk;

/// <summary>
/// A service's reply, in VYRA's <c>ui_function_call</c> response shape (<c>{ plugin_id, success, data, error? }</c>).
/// A guest's <c>request</c> import receives this object as JSON text; a timeout is <c>{"error":"timeout"}</c> (VYRA §5).
/// </summary>
/// <param name="PluginId">The plugin (or host service) that answered; null when nobody did (a timeout, no server).</param>
/// <param name="Success">Whether the service handled the request.</param>
/// <param name="Data">The reply payload (JSON <c>null</c> when there is none).</param>
/// <param name="Error">Why it failed, when <paramref name="Success"/> is false.</param>
public sealed record ServiceResponse(string? PluginId, bool Success, JsonElement Data, string? Error = null);
