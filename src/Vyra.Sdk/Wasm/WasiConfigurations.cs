using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// Turns the host's <see cref="WasiGrants"/> (a plain setting) into Wasmtime's WASI configuration for a store: exactly
/// what the grants list, nothing of the host's own arguments, environment or streams.
/// </summary>
internal static class WasiConfigurations
{
    public static WasiConfiguration ToConfiguration(this WasiGrants grants)
    {
        var config = new WasiConfiguration().WithArgs(grants.Arguments).WithEnvironmentVariables(grants.Environment.Select(e => (e.Key, e.Value)));
        if (grants.InheritStandardOutput) config = config.WithInheritedStandardOutput();
        if (grants.InheritStandardError) config = config.WithInheritedStandardError();
        foreach (var directory in grants.Directories) config = config.WithPreopenedDirectory(directory.HostPath, directory.GuestPath, directory.Writable);
        return config;
    }
}
