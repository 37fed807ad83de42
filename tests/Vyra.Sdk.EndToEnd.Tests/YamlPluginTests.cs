using Vyra.Sdk;
using Vyra.Sdk.EndToEnd.Tests.Plugins;
using Xunit;
using static Vyra.Sdk.EndToEnd.Tests.SamplePlugins;

namespace Vyra.Sdk.EndToEnd.Tests;

/// <summary>
/// A plugin in upstream VYRA's format (samples/plugins/yaml-counter: logic.wasm and manifest.yaml only) gets a typed
/// proxy from the generator and runs through it on the Wasmtime backend.
/// </summary>
public class YamlPluginTests
{
    [Fact]
    public void The_sample_ships_only_manifest_yaml()
    {
        var folder = Path.GetDirectoryName(Module("yaml-counter"))!;
        Assert.True(File.Exists(Path.Combine(folder, "manifest.yaml")));
        Assert.False(File.Exists(Path.Combine(folder, "metadata.json")));
        Assert.Equal("manifest.yaml", Path.GetFileName(ManifestReader.ReadFolder(folder)!.SourcePath));
    }

    [Fact]
    public async Task Yaml_counter_proxy_matches_CallAsync_on_wasmtime()
    {
        await using var counter = YamlCounterPlugin.Create(Module("yaml-counter"));
        await counter.StartAsync();

        Assert.IsType<WasmRuntime>(counter.Runtime);
        Assert.Equal("yaml-counter", YamlCounterPlugin.PluginId);
        Assert.Equal(12, counter.Add(2)); // init ran with the manifest's default start: 10
        Assert.Equal(15, await Call(counter.Runtime, "add", ("step", 3)));
        Assert.Equal(20, await counter.AddAsync(5));
        Assert.Equal(10L, counter.Total());
        Assert.Equal(await Call(counter.Runtime, "total"), counter.Total());
        Assert.Equal(50d, counter.Scaled(2.5));
        Assert.Equal(await Call(counter.Runtime, "scaled", ("factor", 0.5)), await counter.ScaledAsync(0.5));
        Assert.Equal(-1, counter.Init(-1));
    }

    [Fact]
    public async Task The_typed_state_from_the_yaml_defaults_feeds_init()
    {
        Assert.Equal(10, new YamlCounterState().Start);
        await using var counter = YamlCounterPlugin.Create(Module("yaml-counter"), initialState: new YamlCounterState { Start = 100 });
        await counter.StartAsync();
        Assert.Equal(101, counter.Add(1));
    }
}
