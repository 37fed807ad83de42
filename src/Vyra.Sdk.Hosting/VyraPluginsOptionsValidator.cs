using Microsoft.Extensions.Options;

namespace Vyra.Sdk.Hosting;

/// <summary>
/// Refuses options that would fail late or hurt the process: values from configuration that did not convert, unknown
/// keys, instance counts outside 1..<see cref="PluginSettings.MaxInstances"/>, negative timeouts, memory caps outside
/// wasm32's range, zero fuel. Every error names the configuration key; the host's start fails with all of them at once.
/// </summary>
internal sealed class VyraPluginsOptionsValidator : IValidateOptions<VyraPluginsOptions>
{
    public ValidateOptionsResult Validate(string? name, VyraPluginsOptions options)
    {
        var errors = new List<string>(options.ConfigurationErrors);
        foreach (var (pool, index) in options.Pools.Select((p, i) => (p, i)))
        {
            if (string.IsNullOrWhiteSpace(pool)) errors.Add($"{VyraPluginsOptions.SectionName}:Pools:{index}: a pool must be a folder path");
        }
        Check($"{VyraPluginsOptions.SectionName}:Defaults", options.Defaults, errors);
        foreach (var (id, settings) in options.ById.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (string.IsNullOrWhiteSpace(id)) errors.Add($"{VyraPluginsOptions.SectionName}:ById: a plugin id must not be empty");
            Check($"{VyraPluginsOptions.SectionName}:ById:{id}", settings, errors);
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Distinct());
    }

    private static void Check(string path, PluginSettings settings, List<string> errors)
    {
        foreach (var problem in settings.Problems()) errors.Add($"{path}:{problem}");
    }
}
