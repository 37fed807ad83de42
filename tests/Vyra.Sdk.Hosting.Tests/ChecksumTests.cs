using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Vyra.Sdk;
using Vyra.Sdk.Hosting;
using Xunit;

namespace Vyra.Sdk.Hosting.Tests;

/// <summary>A hosted plugin's manifest <c>checksum</c> holds when the plugin is started, not only when the pools are discovered.</summary>
public class ChecksumTests
{
    private const string Wat = """(module (func (export "one") (result i32) (i32.const 1)))""";

    [Fact]
    public async Task A_module_swapped_after_discovery_fails_its_start_with_a_checksum_mismatch()
    {
        var checksum = "sha256:" + Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Wat))).ToLowerInvariant();
        using var pool = new TempPool().Add("one", $$"""
            { "id": "one", "version": "1.0.0", "checksum": "{{checksum}}", "exports": [ { "name": "one", "args": [], "returns": "i32" } ] }
            """, Wat);
        var builder = Fixtures.NewHost(new Dictionary<string, string?> { ["Vyra:Plugins:Pools:0"] = pool.Root });
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();
        var plugins = host.Services.GetRequiredService<IPluginRuntimes>();
        Assert.Contains(plugins.Plugins, e => e.Id == "one" && e.CanRun); // discovery checked the checksum and found it right

        var module = Path.Combine(pool.Root, "one", "1.0.0", "logic.wat");
        File.WriteAllText(module, Wat.Replace("i32.const 1", "i32.const 2"));
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await plugins.GetStartedAsync("one"));
        Assert.Contains("checksum mismatch", ex.Message);
        Assert.Contains(module, ex.Message);
    }
}
