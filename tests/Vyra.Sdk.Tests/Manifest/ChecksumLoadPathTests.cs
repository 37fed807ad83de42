using System.Security.Cryptography;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Manifest;

/// <summary>
/// A manifest's <c>checksum</c> holds at every load path, not only at discovery: the factory, a runtime made directly
/// from a module path (any file name; the manifest is read from its folder), the catalog, a runtime made from the
/// catalog after the module was swapped, and a second start of the same runtime. (Hosting: Vyra.Sdk.Hosting.Tests.)
/// </summary>
public sealed class ChecksumLoadPathTests : IDisposable
{
    private const string Wat = """(module (func (export "v") (result i32) i32.const 7))""";
    private const string Swapped = """(module (func (export "v") (result i32) i32.const 666))""";
    private readonly string _pool = Path.Combine(Path.GetTempPath(), "vyra-checksum-pool", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_pool)) Directory.Delete(_pool, recursive: true);
    }

    private static string Sha256(string text) => "sha256:" + Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text))).ToLowerInvariant();

    private static string Manifest(string checksum) => $$"""{"id":"summed","version":"1.0.0","checksum":"{{checksum}}","exports":[{"name":"v","args":[]}]}""";

    /// <summary>A plugin whose manifest pins <see cref="Wat"/>, in <c>&lt;pool&gt;/summed/1.0.0/&lt;moduleName&gt;</c>.</summary>
    private string Plugin(string moduleName = "logic.wat", string module = Wat)
    {
        var dir = Path.Combine(_pool, "summed", "1.0.0");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, moduleName), module);
        File.WriteAllText(Path.Combine(dir, "metadata.json"), Manifest(Sha256(Wat)));
        return Path.Combine(dir, moduleName);
    }

    private static async Task AssertRefused(PluginRuntime runtime, string modulePath)
    {
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains("checksum mismatch", ex.Message);
        Assert.Contains(Path.GetFileName(modulePath), ex.Message);
        Assert.Contains(Sha256(Wat), ex.Message);
        Assert.Equal("$.checksum", ex.Field);
        Assert.False(runtime.IsRunning);
    }

    private static async Task AssertRuns(PluginRuntime runtime)
    {
        await runtime.StartAsync();
        Assert.Equal(7, (await runtime.CallAsync("v"))["result"]);
    }

    [Fact]
    public async Task The_factory_verifies_the_checksum()
    {
        await using (var good = PluginRuntime.Create("summed", Plugin())) await AssertRuns(good);
        var module = Plugin(module: Swapped);
        await using var bad = PluginRuntime.Create("summed", module, options: new PluginRuntimeOptions { StubFallback = StubFallback.Refuse });
        await AssertRefused(bad, module);
    }

    [Fact]
    public async Task A_runtime_made_from_a_module_path_and_the_manifest_beside_it_verifies_the_checksum()
    {
        await using (var good = new WasmRuntime("summed", Plugin("plugin.wat"))) await AssertRuns(good);
        var module = Plugin("plugin.wat", Swapped);
        await using var bad = new WasmRuntime("summed", module);
        await AssertRefused(bad, module);
    }

    [Fact]
    public async Task The_catalog_verifies_at_discovery_and_its_runtimes_again_at_start()
    {
        var module = Plugin();
        var catalog = PluginCatalog.Discover(_pool);
        Assert.True(catalog.Find("summed") is { IsValid: true });
        await using (var good = catalog.CreateRuntime("summed")) await AssertRuns(good);

        File.WriteAllText(module, Swapped); // after discovery said it was fine
        await using var bad = catalog.CreateRuntime("summed");
        await AssertRefused(bad, module);
        Assert.Contains("checksum mismatch", Assert.Single(PluginCatalog.Discover(_pool).Entries).Problems.Single());
    }

    [Fact]
    public async Task A_module_swapped_between_two_starts_of_one_runtime_is_refused_at_the_second()
    {
        var module = Plugin();
        await using var runtime = PluginRuntime.Create("summed", module);
        await AssertRuns(runtime);
        await runtime.StopAsync();
        File.WriteAllText(module, Swapped);
        await AssertRefused(runtime, module);
    }

    [Fact]
    public async Task A_binary_module_is_checked_as_its_file_bytes()
    {
        var bytes = Wasmtime.Module.ConvertText(Wat).ToArray();
        using var plugin = TempPlugin.FromBytes(bytes, $$"""{"id":"bin","version":"1.0.0","checksum":"sha256:{{Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant()}}","exports":[{"name":"v","args":[]}]}""");
        await using (var good = PluginRuntime.Create("bin", plugin.ModulePath)) await AssertRuns(good);
        File.WriteAllBytes(plugin.ModulePath, Wasmtime.Module.ConvertText(Swapped).ToArray());
        await using var bad = PluginRuntime.Create("bin", plugin.ModulePath);
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await bad.StartAsync());
        Assert.Contains("checksum mismatch", ex.Message);
    }
}
