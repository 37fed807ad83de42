using System.CommandLine;
using System.Globalization;
using Vyra.Cli.Infrastructure;
using Vyra.Sdk;

namespace Vyra.Cli.Commands;

/// <summary><c>vyra validate &lt;pool&gt;...</c>: the catalog's full check of every plugin version in the pools.</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var pools = new Argument<string[]>("pool")
        {
            Description = "Pool folders laid out as <pool>/<id>/<version>/{logic.wasm, manifest.yaml and/or metadata.json}.",
            Arity = ArgumentArity.OneOrMore,
        };
        var hostImports = new Option<string[]>("--host-import")
        {
            Description = "A host function the application provides, e.g. \"host_add(i32, i32) -> i32\" or \"host_note(string)\" (repeatable): " +
                "plugins are then checked against the application's host, not only the built-ins.",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var trusted = new Option<string[]>("--trusted")
        {
            Description = "A trusted public key PEM (repeatable): every plugin's signature.bin is then verified too (docs/signing.md).",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var signatures = new Option<string?>("--signatures")
        {
            Description = "With --trusted: require (default) refuses unsigned plugins; warn accepts them (a present signature must still verify).",
        };
        signatures.AcceptOnlyFromAmong("require", "warn");
        var json = JsonMode.CreateOption();
        var command = new Command("validate", "Check every plugin version in the pools (manifest, module, signatures, imports against the host, checksum) " +
            "and print one line per version; 1 when any is invalid or no plugin was found. " + ExitCodes.SeeTable)
        {
            pools, hostImports, trusted, signatures, json,
        };
        command.SetAction((result, _) => CommandRunner.RunAsync(() => Task.FromResult(Run(result.GetRequiredValue(pools),
            [.. (result.GetValue(hostImports) ?? []).Select(AssumedHostImport.Parse)],
            Policy(result.GetValue(trusted) ?? [], result.GetValue(signatures)), result.GetValue(json))), result.GetValue(json)));
        return command;
    }

    /// <summary>The signature policy of <c>--trusted</c>/<c>--signatures</c>: off without keys.</summary>
    private static SignaturePolicy Policy(string[] trusted, string? mode)
    {
        if (trusted.Length == 0)
        {
            return mode is null ? SignaturePolicy.Off : throw new UsageException("--signatures needs at least one --trusted key");
        }
        return new SignaturePolicy
        {
            Mode = mode == "warn" ? SignatureMode.WarnUnsigned : SignatureMode.Require,
            TrustedKeys = [.. trusted.Select(KeyFiles.ReadPublic)],
        };
    }

    private static int Run(string[] pools, IReadOnlyList<AssumedHostImport> hostImports, SignaturePolicy signatures, bool json)
    {
        var catalog = PluginCatalog.Discover(pools, signatures, new ConsoleHost(quiet: true, hostImports));
        if (json) return WriteJson(catalog);
        var output = Console.Out;
        if (catalog.Entries.Count == 0)
        {
            output.WriteLine($"no plugins found in {string.Join(", ", pools)}");
            return ExitCodes.Failed;
        }
        foreach (var entry in catalog.Entries)
        {
            var name = entry.Version.Length == 0 ? entry.Id : $"{entry.Id} {entry.Version}";
            if (entry.IsFrontendOnly && entry.IsValid)
            {
                output.WriteLine($"✓ {name}  (frontend-only: nothing runs here)");
                continue;
            }
            if (entry.IsValid)
            {
                var selected = ReferenceEquals(catalog.Find(entry.Id), entry) ? "" : "  (not the newest valid version)";
                output.WriteLine($"✓ {name}{selected}");
                continue;
            }
            output.WriteLine($"✗ {name}  ({entry.Directory})");
            foreach (var problem in entry.Problems)
            {
                var lines = problem.Split('\n');
                output.WriteLine("    - " + lines[0].TrimEnd('\r'));
                foreach (var line in lines.Skip(1)) output.WriteLine("      " + line.TrimEnd('\r'));
            }
        }
        var invalid = catalog.Invalid.Count();
        var valid = catalog.Entries.Count - invalid;
        output.WriteLine($"{valid.ToString(CultureInfo.InvariantCulture)} valid, {invalid.ToString(CultureInfo.InvariantCulture)} invalid");
        return invalid == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>The <c>--json</c> report (docs/cli.md): one object per plugin version, in the catalog's order.</summary>
    private static int WriteJson(PluginCatalog catalog)
    {
        var plugins = catalog.Entries.Select(entry => new Dictionary<string, object?>
        {
            ["id"] = entry.Id,
            ["version"] = entry.Version.Length == 0 ? null : entry.Version,
            ["directory"] = entry.Directory,
            ["valid"] = entry.IsValid,
            ["frontend_only"] = entry.IsFrontendOnly,
            ["selected"] = entry.IsValid && ReferenceEquals(catalog.Find(entry.Id), entry),
            ["problems"] = entry.Problems.ToList(),
        }).ToList();
        var invalid = catalog.Invalid.Count();
        JsonMode.Write(new Dictionary<string, object?>
        {
            ["valid"] = catalog.Entries.Count - invalid,
            ["invalid"] = invalid,
            ["plugins"] = plugins,
        });
        return invalid == 0 && catalog.Entries.Count > 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
