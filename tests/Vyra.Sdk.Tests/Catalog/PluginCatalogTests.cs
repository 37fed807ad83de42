using System.Security.Cryptography;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Catalog;

public class PluginCatalogTests : IDisposable
{
    private readonly TempPool _pool = new("catalog");

    public void Dispose() => _pool.Dispose();

    private static string SamplePool => Path.Combine(AppContext.BaseDirectory, "plugins");

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
        _pool.AddAnswer("calc", 1, "1.0.0");
        _pool.AddAnswer("calc", 110, "1.10.0");
        _pool.AddAnswer("calc", 19, "1.9.0");
        _pool.AddAnswer("calc", 200, "2.0.0-beta.1");
        _pool.Add("calc", "3.0.0", TempPool.AnswerManifest("calc", "3.0.0"), wat: "(module"); // broken
        var catalog = PluginCatalog.Discover(_pool.Root);
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
        _pool.AddAnswer("good");
        _pool.AddAnswer("liar", json: """{"id":"liar","version":"1.0.0","exports":[{"name":"v","args":[{"name":"x","type":"i64"}]}]}""");
        _pool.AddAnswer("renamed", json: """{"id":"other-name","version":"2.0.0"}""");
        _pool.AddAnswer("badjson", json: "{ nope");
        _pool.Add("empty");
        _pool.AddAnswer("weird", version: "latest", json: """{"id":"weird"}""");
        var catalog = PluginCatalog.Discover(_pool.Root, Path.Combine(_pool.Root, "missing-pool"));

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
        var good = _pool.AddAnswer("summed");
        var hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(good, "logic.wat")))).ToLowerInvariant();
        File.WriteAllText(Path.Combine(good, "metadata.json"), $$"""{"id":"summed","version":"1.0.0","checksum":"sha256:{{hash}}","exports":[{"name":"v","args":[]}]}""");
        _pool.AddAnswer("tampered", json: $$"""{"id":"tampered","version":"1.0.0","checksum":"sha256:{{new string('0', 64)}}","exports":[{"name":"v","args":[]}]}""");
        var catalog = PluginCatalog.Discover(_pool.Root);
        Assert.True(catalog.Find("summed") is { IsValid: true });
        Assert.Contains(catalog.Entries.Single(e => e.Id == "tampered").Problems, p => p.Contains("checksum mismatch"));
    }

    [Fact]
    public void Creating_an_unknown_or_invalid_plugin_says_why()
    {
        _pool.Add("broken", json: TempPool.AnswerManifest("broken"), wat: "(module");
        var catalog = PluginCatalog.Discover(_pool.Root);
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
