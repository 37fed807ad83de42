using System.Security.Cryptography;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Catalog;

/// <summary>
/// A pool laid out the way upstream VYRA keeps one (docs/manifest.md): the four plugin kinds — a backend with
/// manifest.yaml only, a backend with both manifests, a frontend-only plugin, and checksum "" everywhere — with the
/// files upstream folders carry beside the module (icon.svg, schema.json, an empty signature.bin, src/, ui/, and a
/// CHANGELOG.md one level up). Written by the test from upstream's facts; modules are compiled to real .wasm here.
/// </summary>
public sealed class UpstreamPoolTests : IDisposable
{
    private readonly TempPool _pool = new("upstream-pool");

    public UpstreamPoolTests()
    {
        AddPlugin("sensor-hub", SensorHubYaml, json: null, SensorHubWat);
        AddPlugin("counter-widget", CounterYaml, CounterJson, CounterWat);
        AddPlugin("status-panel", StatusPanelYaml, json: null, wat: null);
    }

    public void Dispose() => _pool.Dispose();

    private const string SensorHubWat = """
        (module
          (global $sum (mut i32) (i32.const 0))
          (func (export "push") (param $v i32) (result i32)
            global.get $sum local.get $v i32.add global.set $sum global.get $sum)
          (func (export "mean_x100") (param $n i32) (result i32)
            global.get $sum i32.const 100 i32.mul local.get $n i32.div_s))
        """;

    private const string SensorHubYaml = """
        # sensor-hub: a backend plugin with manifest.yaml only, as upstream writes it
        id: sensor-hub
        name: Sensor Hub
        version: 1.0.0
        short_description: Sums sensor samples.
        description: >
          Collects samples pushed by the module
          and reports their mean.
        author: VYRA team
        category: analytics
        tags: [sensors]
        priority: 50
        status: stable
        load_strategy: lazy
        scope:
          type: INSTANCE
          target: v2_sensor_module
        dependencies:
          modules: []
          services: []
        permissions:
          interfaces:
            - transport: publish
              module_name: v2_sensor_module
              module_id: null
          network: false
          storage: none
          zenoh_scopes: []
        entry_points:
          backend:
            type: wasm
            file: logic.wasm
            runtime_limits:
              memory_mb: 8
              cpu_shares: 0.25
            exports:
              - name: push
                args:
                  - name: v
                    type: i32
              - name: mean_x100
                args:
                  - name: n
                    type: i32
        docs:
          wiki_path: plugins/sensor-hub
          search_keywords: []
        hash: sensor-hub-1.0.0
        checksum: ""
        """;

    private const string CounterWat = """
        (module
          (global $count (mut i32) (i32.const 0))
          (func (export "init") (param $start i32) (result i32) local.get $start global.set $count global.get $count)
          (func (export "increment") (param $step i32) (result i32)
            global.get $count local.get $step i32.add global.set $count global.get $count))
        """;

    private const string CounterYaml = """
        id: counter-widget
        name: Counter Widget
        version: 1.0.0
        scope:
          type: module
          target: v2_dashboard
        entry_points:
          backend:
            type: wasm
            file: logic.wasm
            exports:
              - name: init
                args: [{ name: start, type: i32 }]
              - name: increment
                args: [{ name: step, type: i32 }]
          frontend:
            type: vue
            file: ui/index.js
            slots:
              - scope: dashboard
                component: CounterWidget
                slot_scope: { type: MODULE, target: v2_dashboard }
        hash: counter-widget-1.0.0
        checksum: ""
        """;

    private const string CounterJson = """
        {
          "id": "counter-widget",
          "name": "Counter Widget",
          "version": "1.0.0",
          "scope": { "type": "MODULE", "target": "v2_dashboard" },
          "exports": [
            { "name": "init", "args": [{ "name": "start", "type": "i32" }] },
            { "name": "increment", "args": [{ "name": "step", "type": "i32" }] }
          ],
          "permissions": { "zenoh_scopes": [] },
          "entry_points": { "backend": { "exported_functions": ["init", "increment"] } },
          "help_data": { "en": "Counts." },
          "hash": "counter-widget-1.0.0",
          "checksum": ""
        }
        """;

    private const string StatusPanelYaml = """
        id: status-panel
        name: Status Panel
        version: 1.0.0
        scope: { type: GLOBAL, target: "" }
        entry_points:
          frontend:
            type: vue
            file: ui/index.js
            css: ui/panel.css
            slots:
              - scope: [dashboard]
                component: StatusPanel
                title: Status
                min_width: 1
                min_height: 1
        hash: status-panel-1.0.0
        checksum: ""
        """;

    private void AddPlugin(string id, string yaml, string? json, string? wat)
    {
        var dir = _pool.Add(id, json: json, yaml: yaml);
        Directory.CreateDirectory(Path.Combine(dir, "src"));
        Directory.CreateDirectory(Path.Combine(dir, "ui"));
        File.WriteAllText(Path.Combine(_pool.Root, id, "CHANGELOG.md"), "# 1.0.0\n");
        File.WriteAllText(Path.Combine(dir, "icon.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
        File.WriteAllText(Path.Combine(dir, "schema.json"), "{\"type\":\"object\"}");
        File.WriteAllBytes(Path.Combine(dir, "signature.bin"), []);
        File.WriteAllText(Path.Combine(dir, "ui", "index.js"), "export default {};");
        // Upstream ships compiled modules: logic.wasm, not the pool's text form.
        if (wat is not null) File.WriteAllBytes(ModulePath(id), Wasmtime.Module.ConvertText(wat).ToArray());
    }

    private string ModulePath(string id) => Path.Combine(_pool.FolderOf(id), "logic.wasm");

    [Fact]
    public void Every_plugin_of_an_upstream_pool_is_valid_and_the_backends_can_run()
    {
        var catalog = PluginCatalog.Discover(_pool.Root);

        Assert.All(catalog.Entries, e => Assert.True(e.IsValid, $"{e.Id}: {string.Join("; ", e.Problems)}"));
        Assert.Equal(["counter-widget", "sensor-hub", "status-panel"], catalog.Entries.Select(e => e.Id));
        Assert.True(catalog.Find("sensor-hub")!.CanRun);
        Assert.True(catalog.Find("counter-widget")!.CanRun);
        Assert.True(catalog.Entries.Single(e => e.Id == "status-panel").IsFrontendOnly);
        Assert.Null(catalog.Find("status-panel"));
        Assert.Equal(new PluginScope("INSTANCE", "v2_sensor_module"), catalog.Find("sensor-hub")!.Manifest!.Scope);
        Assert.Equal("manifest.yaml", Path.GetFileName(catalog.Find("counter-widget")!.Manifest!.SourcePath));
        Assert.Contains("frontend-only", Assert.Throws<PluginLoadException>(() => catalog.CreateRuntime("status-panel")).Message);
    }

    [Fact]
    public async Task Backends_run_through_the_catalog_and_the_factory_with_the_same_results()
    {
        var catalog = PluginCatalog.Discover(_pool.Root);
        await using (var hub = catalog.CreateRuntime("sensor-hub"))
        {
            await hub.StartAsync();
            await hub.CallAsync("push", new Dictionary<string, object?> { ["v"] = 3 });
            Assert.Equal(7, (await hub.CallAsync("push", new Dictionary<string, object?> { ["v"] = 4 }))["result"]);
            Assert.Equal(350, (await hub.CallAsync("mean_x100", new Dictionary<string, object?> { ["n"] = 2 }))["result"]);
        }
        await using var counter = PluginRuntime.Create("counter-widget", ModulePath("counter-widget"), initialState: new Dictionary<string, object?> { ["start"] = 10 });
        Assert.IsType<WasmRuntime>(counter);
        await counter.StartAsync();
        Assert.Equal(15, (await counter.CallAsync("increment", new Dictionary<string, object?> { ["step"] = 5 }))["result"]);
    }

    [Fact]
    public async Task A_set_checksum_covers_the_module_and_holds_at_every_start()
    {
        var yamlPath = Path.Combine(_pool.FolderOf("sensor-hub"), "manifest.yaml");
        var digest = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(ModulePath("sensor-hub")))).ToLowerInvariant();
        File.WriteAllText(yamlPath, SensorHubYaml.Replace("checksum: \"\"", $"checksum: \"sha256:{digest}\""));
        Assert.True(PluginCatalog.Discover(_pool.Root).Find("sensor-hub")!.CanRun);

        // The module is swapped after discovery: the next start refuses it, naming both digests.
        File.WriteAllBytes(ModulePath("sensor-hub"), Wasmtime.Module.ConvertText("(module (func (export \"push\") (param i32) (result i32) i32.const 666) (func (export \"mean_x100\") (param i32) (result i32) i32.const 0))").ToArray());
        await using var runtime = PluginRuntime.Create("sensor-hub", ModulePath("sensor-hub"));
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains("checksum mismatch", ex.Message);
        Assert.Contains($"sha256:{digest}", ex.Message);
        Assert.Contains("checksum mismatch", Assert.Single(PluginCatalog.Discover(_pool.Root).Entries, e => e.Id == "sensor-hub").Problems.Single());
    }

    [Fact]
    public void The_old_string_scope_is_read_with_a_warning_and_a_bad_one_names_the_types()
    {
        var m = ManifestReader.Parse(CounterYaml.Replace("scope:\n  type: module\n  target: v2_dashboard\n", "scope: module\n"), "p/manifest.yaml");
        Assert.Equal(new PluginScope("MODULE", null), m.Scope);
        Assert.Contains(m.Warnings, w => w.Contains("'scope' as a string is the old form") && w.StartsWith("p/manifest.yaml(4,8)"));

        var ex = Assert.Throws<PluginLoadException>(() => ManifestReader.Parse(CounterYaml.Replace("type: module", "type: galaxy"), "p/manifest.yaml"));
        Assert.Equal("$.scope.type", ex.Field);
        Assert.Contains("GLOBAL, TEMPLATE, MODULE, INSTANCE", ex.Message);
    }

    [Theory]
    [InlineData("transport: publish", "transport: shout", "$.permissions.interfaces[0].transport")]
    [InlineData("storage: none", "storage: everything", "$.permissions.storage")]
    [InlineData("priority: 50", "priority: 101", "$.priority")]
    [InlineData("status: stable", "status: gold", "$.status")]
    [InlineData("checksum: \"\"", "checksum: \"md5:abc\"", "$.checksum")]
    [InlineData("  modules: []", "  modules: [3]", "$.dependencies.modules[0]")]
    public void Upstream_field_shapes_are_checked_and_named(string from, string to, string field)
    {
        var ex = Assert.Throws<PluginLoadException>(() => ManifestReader.Parse(SensorHubYaml.Replace(from, to), "hub/manifest.yaml"));
        Assert.Equal(field, ex.Field);
        Assert.StartsWith("hub/manifest.yaml(", ex.Message);
    }

    [Fact]
    public void Interface_permissions_read_in_both_shapes()
    {
        var m = ManifestReader.Parse("""
            {"id":"p","permissions":{"interfaces":[
              {"transport":"subscribe","module_name":"a","module_id":"7"},
              "b", "client:c", "server:d/9"]}}
            """, "p/metadata.json");
        Assert.Equal(
            [new InterfacePermission("subscribe", "a", "7"), new InterfacePermission(null, "b"), new InterfacePermission("client", "c"), new InterfacePermission("server", "d", "9")],
            m.Permissions!.Interfaces);
    }
}
