namespace Vyra.Sdk.Hosting;

/// <summary>A typed proxy registered with <c>AddPlugin</c>: the service to resolve and how to reach its runtime.</summary>
internal sealed class PluginRegistration(Type serviceType, string? pluginId, Func<object, PluginRuntime> runtimeOf)
{
    /// <summary>The proxy type registered as a singleton.</summary>
    public Type ServiceType { get; } = serviceType;

    /// <summary>The plugin id, when the registration names it (factory registrations learn it from the runtime).</summary>
    public string? PluginId { get; } = pluginId;

    /// <summary>The proxy's runtime.</summary>
    public Func<object, PluginRuntime> RuntimeOf { get; } = runtimeOf;

    /// <summary>How the registration is named in logs and start failures.</summary>
    public string Label => PluginId ?? ServiceType.Name;
}
