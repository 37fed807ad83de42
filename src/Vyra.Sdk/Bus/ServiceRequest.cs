using System.Text.Json;

namespace Vyra.Sdk;

/// <summary>A request to a service, in VYRA's <c>ui_function_call</c> request shape (<c>{ plugin_id, function_name, data }</c>).</summary>
/// <param name="PluginId">The requesting plugin.</param>
/// <param name="FunctionName">The service's name (the address's <see cref="InterfaceAddress.Name"/>).</param>
/// <param name="Data">The request payload.</param>
public sealed record ServiceRequest(string PluginId, string FunctionName, JsonElement Data);
