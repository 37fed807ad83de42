using System.Runtime.CompilerServices;
using System.Reflection;
using Vyra.Sdk.Hosting;
using Vyra.Sdk.Redis;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.PublicApi;

/// <summary>
/// The public surface of the shipped assemblies against the committed listings next to this file. A change to the
/// surface is deliberate only if the listing changes with it: run with <c>UPDATE_BASELINES=1</c> to rewrite the
/// listings (the run then fails once, so an update never passes silently) and review the diff.
/// </summary>
public class PublicApiTests
{
    public static TheoryData<string> Assemblies() => ["Vyra.Sdk", "Vyra.Sdk.Hosting", "Vyra.Sdk.Redis"];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void The_public_surface_matches_the_committed_listing(string name)
    {
        var actual = ApiListing.Of(Of(name));
        var file = Path.Combine(Folder(), name + ".api.txt");
        if (Environment.GetEnvironmentVariable("UPDATE_BASELINES") == "1")
        {
            File.WriteAllText(file, actual);
            Assert.Fail($"UPDATE_BASELINES=1: rewrote {file}; review the diff and run again without it.");
        }

        Assert.True(File.Exists(file), $"no listing for {name} (run the tests once with UPDATE_BASELINES=1)");
        var expected = File.ReadAllText(file).ReplaceLineEndings("\n");
        if (expected == actual) return;
        var expectedLines = expected.Split('\n').ToHashSet(StringComparer.Ordinal);
        var actualLines = actual.Split('\n').ToHashSet(StringComparer.Ordinal);
        var added = actualLines.Except(expectedLines).Select(l => "+ " + l.Trim());
        var removed = expectedLines.Except(actualLines).Select(l => "- " + l.Trim());
        Assert.Fail($"The public surface of {name} changed (UPDATE_BASELINES=1 rewrites {name}.api.txt):\n" + string.Join("\n", removed.Concat(added).Take(60)));
    }

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void No_public_member_exposes_a_Wasmtime_type_unless_hidden_from_IntelliSense(string name)
    {
        // Wasmtime is the engine, not the contract: a type of it in a visible signature ties every user to its version.
        var listing = ApiListing.Of(Of(name)).Split('\n');
        var exposed = listing.Where(l => l.Contains("Wasmtime.", StringComparison.Ordinal) && !l.Contains("[EditorBrowsable(Never)]", StringComparison.Ordinal)).ToList();
        Assert.True(exposed.Count == 0, "Wasmtime types in the public surface:\n" + string.Join("\n", exposed));
    }

    [Fact]
    public void Helpers_kept_for_the_CLI_are_not_public()
    {
        var kernel = typeof(PluginRuntime).Assembly;
        foreach (var name in new[] { "Vyra.Sdk.ScalarCoercion", "Vyra.Sdk.WasmSignature", "Vyra.Sdk.AbiViolationException" })
        {
            var type = kernel.GetType(name);
            Assert.NotNull(type);
            Assert.False(type!.IsPublic, name + " should be internal");
        }
        Assert.Contains(kernel.GetCustomAttributes<InternalsVisibleToAttribute>(), a => a.AssemblyName == "Vyra.Cli");
    }

    private static Assembly Of(string name) => name switch
    {
        "Vyra.Sdk" => typeof(PluginRuntime).Assembly,
        "Vyra.Sdk.Hosting" => typeof(IPluginRuntimes).Assembly,
        "Vyra.Sdk.Redis" => typeof(RedisEventBus).Assembly,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a shipped assembly"),
    };

    // The committed listings, in the source tree.
    private static string Folder() => Path.Combine(RepoRoot.Path, "tests", "Vyra.Sdk.Tests", "PublicApi");
}
