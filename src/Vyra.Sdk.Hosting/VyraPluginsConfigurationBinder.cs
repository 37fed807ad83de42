using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Vyra.Sdk.Hosting;

/// <summary>
/// Binds <c>Vyra:Plugins</c> field by field. The generic configuration binder drops a whole dictionary entry when one
/// of its values does not convert (a plugin's 300 ms timeout silently became the default); here every value is read on
/// its own and every bad value or unknown key becomes an error naming its configuration key, reported at start by
/// <see cref="VyraPluginsOptionsValidator"/>.
/// </summary>
internal static class VyraPluginsConfigurationBinder
{
    private static readonly string[] SettingNames =
    [
        nameof(PluginSettings.Version), nameof(PluginSettings.TimeoutMs), nameof(PluginSettings.Fuel), nameof(PluginSettings.MemoryMb),
        nameof(PluginSettings.Instances), nameof(PluginSettings.RecycleInstanceAfterTrap), nameof(PluginSettings.PreferStub), nameof(PluginSettings.AutoStart),
    ];

    private static readonly string[] OptionNames =
    [
        nameof(VyraPluginsOptions.Pools), nameof(VyraPluginsOptions.FailOnStartError), nameof(VyraPluginsOptions.StartAll),
        nameof(VyraPluginsOptions.PreferStub), nameof(VyraPluginsOptions.WatchPools), nameof(VyraPluginsOptions.CacheDirectory), nameof(VyraPluginsOptions.Defaults), nameof(VyraPluginsOptions.ById),
        nameof(VyraPluginsOptions.Signatures),
    ];

    private static readonly string[] SignatureNames = [nameof(SignatureSettings.Mode), nameof(SignatureSettings.TrustedKeys)];

    public static void Bind(IConfiguration section, VyraPluginsOptions options)
    {
        var errors = options.ConfigurationErrors;
        foreach (var child in section.GetChildren())
        {
            switch (Known(child.Key, OptionNames))
            {
                case nameof(VyraPluginsOptions.Pools):
                    // An array binds as children 0, 1, ... (in numeric order); a single value as the one pool.
                    if (child.Value is { Length: > 0 } single) options.Pools.Add(single);
                    foreach (var pool in child.GetChildren())
                    {
                        if (pool.Value is { Length: > 0 } path) options.Pools.Add(path);
                        else errors.Add($"{pool.Path}: a pool must be a folder path");
                    }
                    break;
                case nameof(VyraPluginsOptions.FailOnStartError):
                    if (Bool(child, errors) is { } fail) options.FailOnStartError = fail;
                    break;
                case nameof(VyraPluginsOptions.StartAll):
                    if (Bool(child, errors) is { } all) options.StartAll = all;
                    break;
                case nameof(VyraPluginsOptions.PreferStub):
                    if (Bool(child, errors) is { } stub) options.PreferStub = stub;
                    break;
                case nameof(VyraPluginsOptions.WatchPools):
                    if (Bool(child, errors) is { } watch) options.WatchPools = watch;
                    break;
                case nameof(VyraPluginsOptions.CacheDirectory):
                    if (Text(child, errors) is { } cache) options.CacheDirectory = cache;
                    break;
                case nameof(VyraPluginsOptions.Defaults):
                    BindSettings(child, options.Defaults, errors);
                    break;
                case nameof(VyraPluginsOptions.ById):
                    foreach (var plugin in child.GetChildren())
                    {
                        if (!options.ById.TryGetValue(plugin.Key, out var settings)) options.ById[plugin.Key] = settings = new PluginSettings();
                        BindSettings(plugin, settings, errors);
                    }
                    break;
                case nameof(VyraPluginsOptions.Signatures):
                    BindSignatures(child, options.Signatures, errors);
                    break;
                default:
                    errors.Add($"{child.Path}: unknown setting (known: {string.Join(", ", OptionNames)})");
                    break;
            }
        }
    }

    private static void BindSettings(IConfigurationSection section, PluginSettings settings, List<string> errors)
    {
        if (section.Value is { Length: > 0 }) errors.Add($"{section.Path}: expected a section of settings ({string.Join(", ", SettingNames)}), got the value '{section.Value}'");
        foreach (var child in section.GetChildren())
        {
            switch (Known(child.Key, SettingNames))
            {
                case nameof(PluginSettings.Version):
                    if (Text(child, errors) is { } version) settings.Version = version;
                    break;
                case nameof(PluginSettings.TimeoutMs):
                    if (Int(child, errors) is { } timeout) settings.TimeoutMs = timeout;
                    break;
                case nameof(PluginSettings.Fuel):
                    if (Number<ulong>(child, errors, ulong.TryParse, "a whole number from 1 to 18446744073709551615") is { } fuel) settings.Fuel = fuel;
                    break;
                case nameof(PluginSettings.MemoryMb):
                    if (Int(child, errors) is { } memory) settings.MemoryMb = memory;
                    break;
                case nameof(PluginSettings.Instances):
                    if (Int(child, errors) is { } instances) settings.Instances = instances;
                    break;
                case nameof(PluginSettings.RecycleInstanceAfterTrap):
                    if (Bool(child, errors) is { } recycle) settings.RecycleInstanceAfterTrap = recycle;
                    break;
                case nameof(PluginSettings.PreferStub):
                    if (Bool(child, errors) is { } stub) settings.PreferStub = stub;
                    break;
                case nameof(PluginSettings.AutoStart):
                    if (Bool(child, errors) is { } auto) settings.AutoStart = auto;
                    break;
                default:
                    errors.Add($"{child.Path}: unknown plugin setting (known: {string.Join(", ", SettingNames)})");
                    break;
            }
        }
    }

    private static void BindSignatures(IConfigurationSection section, SignatureSettings settings, List<string> errors)
    {
        if (section.Value is { Length: > 0 }) errors.Add($"{section.Path}: expected a section ({string.Join(", ", SignatureNames)}), got the value '{section.Value}'");
        foreach (var child in section.GetChildren())
        {
            switch (Known(child.Key, SignatureNames))
            {
                case nameof(SignatureSettings.Mode):
                    if (Text(child, errors) is not { } text) break;
                    // By name only: Enum.TryParse would also take "7" or "1,2", which name no mode.
                    if (Known(text, Enum.GetNames<SignatureMode>()) is { } name) settings.Mode = Enum.Parse<SignatureMode>(name);
                    else errors.Add($"{child.Path}: '{child.Value}' is not a signature mode (known: {string.Join(", ", Enum.GetNames<SignatureMode>())})");
                    break;
                case nameof(SignatureSettings.TrustedKeys):
                    // Like Pools: an array binds as children 0, 1, ...; a single value is the one key. The value is a
                    // path or PEM text: an error names the key, never repeats the value (it may be a secret pasted by mistake).
                    if (child.Value is { Length: > 0 } one) settings.TrustedKeys.Add(one);
                    foreach (var key in child.GetChildren())
                    {
                        if (key.Value is { Length: > 0 } value) settings.TrustedKeys.Add(value);
                        else errors.Add($"{key.Path}: a trusted key must be a PEM file path or the PEM text");
                    }
                    break;
                default:
                    errors.Add($"{child.Path}: unknown signature setting (known: {string.Join(", ", SignatureNames)})");
                    break;
            }
        }
    }

    private static string? Known(string key, string[] names) =>
        names.FirstOrDefault(n => string.Equals(n, key, StringComparison.OrdinalIgnoreCase));

    // An empty value (for example an environment variable set to nothing) means "not set".
    private static string? Scalar(IConfigurationSection section, List<string> errors)
    {
        if (section.Value is null)
        {
            if (section.GetChildren().Any()) errors.Add($"{section.Path}: expected a single value, got a section");
            return null;
        }
        return section.Value.Length == 0 ? null : section.Value.Trim();
    }

    private static string? Text(IConfigurationSection section, List<string> errors) => Scalar(section, errors);

    private static bool? Bool(IConfigurationSection section, List<string> errors)
    {
        if (Scalar(section, errors) is not { } text) return null;
        if (bool.TryParse(text, out var value)) return value;
        errors.Add($"{section.Path}: '{section.Value}' is not true or false");
        return null;
    }

    private static int? Int(IConfigurationSection section, List<string> errors) =>
        Number<int>(section, errors, int.TryParse, "a whole number");

    private delegate bool TryParse<T>(string text, NumberStyles style, IFormatProvider provider, out T value);

    private static T? Number<T>(IConfigurationSection section, List<string> errors, TryParse<T> parse, string expected)
        where T : struct
    {
        if (Scalar(section, errors) is not { } text) return null;
        if (parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)) return value;
        errors.Add($"{section.Path}: '{section.Value}' is not {expected}");
        return null;
    }
}
