using System.Text.RegularExpressions;
using Vyra.Sdk;

namespace Vyra.Cli.Infrastructure;

/// <summary>
/// A host function the application provides, named on the command line (<c>--host-import "host_add(i32,i32)->i32"</c>)
/// so that <c>vyra validate</c> can check plugins against the application's real host, not only the built-ins: a CI can
/// then fail on a plugin that imports something the application lacks, or with another signature.
/// </summary>
internal sealed partial record AssumedHostImport(string Name, IReadOnlyList<PluginValueType> Parameters, IReadOnlyList<PluginValueType> Results)
{
    /// <summary>Parses <c>name(type, ...)</c> or <c>name(type, ...) -&gt; type</c> with the manifest's type names.</summary>
    public static AssumedHostImport Parse(string text)
    {
        var match = Shape().Match(text.Trim());
        if (!match.Success) throw new UsageException($"--host-import '{text}' must look like name(i32, string) or name(i32) -> i64");
        return new AssumedHostImport(match.Groups["name"].Value, Types(match.Groups["args"].Value, text), Types(match.Groups["result"].Value, text));
    }

    /// <summary>Registers this import with a handler that refuses to run: validation only checks that it fits.</summary>
    public void Register(HostImportRegistry registry) =>
        registry.Add(Name, Parameters, Results, _ => throw new InvalidOperationException($"'{Name}' is assumed for validation only; the CLI does not implement it"));

    private static List<PluginValueType> Types(string list, string text)
    {
        var types = new List<PluginValueType>();
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!PluginValueTypes.TryParse(part, out var type))
                throw new UsageException($"--host-import '{text}': unknown type '{part}' (i32, i64, f32, f64, bool, string, bytes, json)");
            types.Add(type);
        }
        return types;
    }

    [GeneratedRegex(@"^(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?<args>[^()]*)\)\s*(->\s*(?<result>[a-z0-9]+))?\z")]
    private static partial Regex Shape();
}
