using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Vyra.Sdk.Hosting;

/// <summary>
/// Refuses options that would fail late or hurt the process: values from configuration that did not convert, unknown
/// keys, instance counts outside 1..<see cref="PluginSettings.MaxInstances"/>, negative timeouts, memory caps outside
/// wasm32's range, zero fuel, a signature policy that cannot be used (an unknown mode, a trusted key that is missing,
/// unreadable, not a public key or a private one). Every error names the configuration key; the host's start fails with all of them at once.
/// </summary>
internal sealed class VyraPluginsOptionsValidator(IServiceProvider services) : IValidateOptions<VyraPluginsOptions>
{
    /// <summary>Where relative paths start: the host's content root, or the application's folder without a host.</summary>
    internal static string BaseDirectory(IServiceProvider services) =>
        services.GetService<IHostEnvironment>()?.ContentRootPath ?? AppContext.BaseDirectory;

    public ValidateOptionsResult Validate(string? name, VyraPluginsOptions options)
    {
        var errors = new List<string>(options.ConfigurationErrors);
        // The keys are loaded here too (the registry loads them again when it is created), so a missing file or a
        // private key fails the start together with every other bad value.
        options.Signatures.ToPolicy(BaseDirectory(services), $"{VyraPluginsOptions.SectionName}:{nameof(VyraPluginsOptions.Signatures)}", errors);
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
