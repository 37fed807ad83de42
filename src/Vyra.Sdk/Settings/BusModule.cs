namespace Vyra.Sdk;

/// <summary>
/// The VYRA module a host process is (its module name and instance id): a guest's bare topic or service name belongs
/// to it, and events this host publishes say they come from it. Set per host in <see cref="PluginBusOptions.Module"/>.
/// </summary>
/// <param name="Name">The module name, e.g. <c>v2_dashboard</c>.</param>
/// <param name="Id">This instance's id, or null.</param>
public sealed record BusModule(string Name, string? Id = null)
{
    /// <summary>The module a host is when its options name none: <c>local</c>.</summary>
    public static BusModule Local { get; } = new("local");
}
