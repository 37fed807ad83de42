using System.Security.Cryptography;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Catalog;

public class PluginCatalogTests : IDisposable
{
    private readonly string _pool = Path.Combine(Path.GetTempPath(), "vyra-pool-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_pool)) Directory.Delete(_pool, recursive: true);
    }

    private static string SamplePool => Path.Combine(AppContext.BaseDirectory, "plugins");

    private string AddPlugin(string id, string version, string wat, string? manifest = null)
    {
        var dir = Path.Combine(_pool, id, version);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "logic.wat"), wat);
        File.WriteAllText(Path.Combine(dir, "metadata.json"), manifest ?? $$"""{"id":"{{id}}","version":"{{version}}","exports":[{"name":"v","args":[]}]}""");
        return dir;
    }

    private static string Answer(int value) => $$"""(module (func (export "v") (result i32) i32.const {{value}}))""";

    [Fact]
    public void The_sample_pool_is_discovered_and_validated()
    {
        var catalog = PluginCatalog.Discover(SamplePool);
        Assert.Contains(catalog.Entries, e => e.Id == "counter-widget" && e.IsValid);
        Assert.Contains(catalog.Entries, e => e.Id == "math-kit" && e.IsValid);
        Assert.Contains(catalog.Entries, e => e.Id == "text-tools" && e.IsValid);
        // host-calc imports functions only its application's host provides: invalid against the default host.
        var hostCalc = Assert.Single(catalog.Entries, e => e.Id == "host-calc");
        Assert.Contains(hostCalc.Problems, p => p.Contains("is not provided by the host"));
    }

    [Fact]
    public async Task The_highest_valid_version_wins_unless_one_is_asked_for()
    {
        AddPlugin("calc", "1.0.0", Answer(1));
        AddPlugin("calc", "1.10.0", Answer(110));
        AddPlugin("calc", "1.9.0", Answer(19));
        AddPlugin("calc", "2.0.0-beta.1", Answer(200));
        AddPlugin("calc", "3.0.0", "(module", """{"id":"calc","version":"3.0.0","exports":[{"name":"v","args":[]}]}"""); // broken
        var catalog = PluginCatalog.Discover(_pool);
        Assert.Equal("2.0.0-beta.1", catalog.Find("calc")!.Version);
        Assert.Equal("1.9.0", catalog.Find("calc", "1.9.0")!.Version);
        await using var runtime = catalog.CreateRuntime("calc");
        await runtime.StartAsync();
        Assert.Equal(200, (await runtime.CallAsync("v"))["result"]);
        await using var pinned = catalog.CreateRuntime("calc", "1.10.0");
        await pinned.StartAsync();
        Assert.Equal(110, (await pinned.CallAsync("v"))["result"]);
    }

    [Fact]
    public void Every_problem_of_every_plugin_is_reported()
    {
        AddPlugin("good", "1.0.0", Answer(1));
        AddPlugin("liar", "1.0.0", Answer(1), """{"id":"liar","version":"1.0.0","exports":[{"name":"v","args":[{"name":"x","type":"i64"}]}]}""");
        AddPlugin("renamed", "1.0.0", Answer(1), """{"id":"other-name","version":"2.0.0"}""");
        AddPlugin("badjson", "1.0.0", Answer(1), "{ nope");
        Directory.CreateDirectory(Path.Combine(_pool, "empty", "1.0.0"));
        AddPlugin("weird", "latest", Answer(1), """{"id":"weird"}""");
        var catalog = PluginCatalog.Discover(_pool, Path.Combine(_pool, "missing-pool"));

        Assert.True(catalog.Find("good") is { IsValid: true });
        Assert.Contains(catalog.Entries.Single(e => e.Id == "liar").Problems, p => p.Contains("export 'v'") && p.Contains("(x: i64)"));
        var renamed = catalog.Entries.Single(e => e.Id == "renamed").Problems;
        Assert.Contains(renamed, p => p.Contains("id 'other-name' differs"));
        Assert.Contains(renamed, p => p.Contains("version '2.0.0' differs"));
        Assert.Contains(catalog.Entries.Single(e => e.Id == "badjson").Problems, p => p.Contains("invalid JSON"));
        var empty = catalog.Entries.Single(e => e.Id == "empty").Problems;
        Assert.Contains(empty, p => p.Contains("no manifest.yaml or metadata.json"));
        Assert.Contains(empty, p => p.Contains("no logic.wasm"));
        Assert.Contains(catalog.Entries.Single(e => e.Id == "weird").Problems, p => p.Contains("not a semantic version"));
        Assert.Contains(catalog.Entries, e => e.Problems.Any(p => p.Contains("does not exist")));
        Assert.Equal(6, catalog.Invalid.Count());
    }

    [Fact]
    public void Checksums_are_verified_when_the_manifest_has_one()
    {
        var good = AddPlugin("summed", "1.0.0", Answer(7));
        var hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(good, "logic.wat")))).ToLowerInvariant();
        File.WriteAllText(Path.Combine(good, "metadata.json"), $$"""{"id":"summed","version":"1.0.0","checksum":"sha256:{{hash}}","exports":[{"name":"v","args":[]}]}""");
        AddPlugin("tampered", "1.0.0", Answer(7), $$"""{"id":"tampered","version":"1.0.0","checksum":"sha256:{{new string('0', 64)}}","exports":[{"name":"v","args":[]}]}""");
        var catalog = PluginCatalog.Discover(_pool);
        Assert.True(catalog.Find("summed") is { IsValid: true });
        Assert.Contains(catalog.Entries.Single(e => e.Id == "tampered").Problems, p => p.Contains("checksum mismatch"));
    }

    [Fact]
    public void Creating_an_unknown_or_invalid_plugin_says_why()
    {
        AddPlugin("broken", "1.0.0", "(module", null);
        var catalog = PluginCatalog.Discover(_pool);
        Assert.Contains("no plugin 'ghost'", Assert.Throws<PluginLoadException>(() => catalog.CreateRuntime("ghost")).Message);
        Assert.Contains("plugin 'broken' has no valid version: 1.0.0:", Assert.Throws<PluginLoadException>(() => catalog.CreateRuntime("broken")).Message);
    }

    [Theory]
    [InlineData("1.0.0", "1.0.1", -1)]
    [InlineData("1.10.0", "1.9.0", 1)]
    [InlineData("1.0.0-alpha", "1.0.0", -1)]
    [InlineData("1.0.0-alpha.1", "1.0.0-alpha.beta", -1)]
    [InlineData("1.0.0-beta.2", "1.0.0-beta.11", -1)]
    [InlineData("1.0.0+build.5", "1.0.0", 0)]
    public void Semantic_versions_order_by_precedence(string a, string b, int sign) =>
        Assert.Equal(sign, Math.Sign(SemanticVersion.TryParse(a)!.CompareTo(SemanticVersion.TryParse(b))));

    [Theory]
    [InlineData("1.0")]
    [InlineData("v1.0.0")]
    [InlineData("1.0.0-")]
    [InlineData("")]
    public void Non_versions_do_not_parse(string text) => Assert.Null(SemanticVersion.TryParse(text));
}
