namespace Vyra.Sdk;

/// <summary>
/// A plugin's manifest permissions (<c>permissions.interfaces</c>) as VYRA's facade applies them (§4): an operation on an
/// address is allowed when an entry has its transport (or every transport: the string shape <c>"module"</c>), the same
/// module name, and no instance id or the same one. Serving follows upstream's <c>create_server</c>, which needs "any
/// server entry" and serves on the host's own module; serving on another module's address needs an entry that names it.
/// No permissions (or none listed) allow nothing. docs/bus.md has the table.
/// </summary>
internal sealed class PermissionGate
{
    private readonly InterfacePermission[] _entries;
    private readonly BusModule _ownModule;

    public PermissionGate(PluginPermissions? permissions, BusModule ownModule)
    {
        _entries = permissions?.Interfaces?.ToArray() ?? [];
        _ownModule = ownModule;
    }

    /// <summary>Whether <paramref name="transport"/> on <paramref name="address"/> is allowed.</summary>
    public bool Allows(InterfaceTransport transport, InterfaceAddress address)
    {
        foreach (var entry in _entries)
        {
            if (Covers(entry, transport) && entry.ModuleName == address.ModuleName && (entry.ModuleId is null || entry.ModuleId == address.ModuleId))
                return true;
        }
        return transport == InterfaceTransport.Server && IsOwnModule(address) && _entries.Any(e => Covers(e, InterfaceTransport.Server));
    }

    /// <summary>What the plugin may do, for a denial's message: e.g. <c>publish:sensors, any:dashboard/abc</c>, or <c>nothing</c>.</summary>
    public string Describe() =>
        _entries.Length == 0
            ? "nothing (its manifest lists no permissions.interfaces)"
            : string.Join(", ", _entries.Select(e => $"{e.Transport ?? "any"}:{e.ModuleName}{(e.ModuleId is null ? "" : "/" + e.ModuleId)}"));

    /// <summary>
    /// A denial's message: the plugin, the operation, the address with its transport, module and instance, what the
    /// plugin is allowed, and for serving the own-module rule.
    /// </summary>
    public string Denial(string pluginId, string operation, InterfaceTransport transport, InterfaceAddress address)
    {
        var target = $"{Name(transport)} on module '{address.ModuleName}'{(address.ModuleId is null ? "" : $", instance '{address.ModuleId}'")}";
        var serving = transport == InterfaceTransport.Server && !IsOwnModule(address)
            ? $"; serving on its own module '{Describe(_ownModule)}' needs any server entry, another module's needs an entry naming it"
            : "";
        return $"permission denied: plugin '{pluginId}' may not {operation} on '{address}' ({target}); it is allowed {Describe()}{serving}";
    }

    private static string Describe(BusModule module) => module.Id is null ? module.Name : $"{module.Name}/{module.Id}";

    private static bool Covers(InterfacePermission entry, InterfaceTransport transport) =>
        entry.Transport is null || string.Equals(entry.Transport, Name(transport), StringComparison.OrdinalIgnoreCase);

    private bool IsOwnModule(InterfaceAddress address) =>
        address.ModuleName == _ownModule.Name && (address.ModuleId is null || address.ModuleId == _ownModule.Id);

    /// <summary>The transport's name as manifests write it.</summary>
    public static string Name(InterfaceTransport transport) => transport switch
    {
        InterfaceTransport.Publish => "publish",
        InterfaceTransport.Subscribe => "subscribe",
        InterfaceTransport.Server => "server",
        _ => "client",
    };
}
