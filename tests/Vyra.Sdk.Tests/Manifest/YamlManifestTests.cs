using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Manifest;

/// <summary>Upstream VYRA's manifest.yaml: read onto the same model, upstream's rules enforced, errors located in the YAML.</summary>
public class YamlManifestTests : IDisposable
{
    private readonly TempPool _pool = new("yaml");

    public void Dispose() => _pool.Dispose();

    private const string CounterWat = """
        (module
          (global $count (mut i32) (i32.const 0))
          (func (export "init") (param $start i32) (result i32) local.get $start global.set $count global.get $count)
          (func (export "increment") (param $step i32) (result i32)
            global.get $count local.get $step i32.add global.set $count global.get $count))
        """;

    // An upstream-style manifest with the full field set the runtime must tolerate.
    private const string FullManifest = """
        # Counter widget, upstream format
        id: counter-widget
        name: Counter Widget
        version: 1.2.0
        short_description: Counts things.
        description: >
          Counts things,
          one step at a time.
        author: VYRA team
        category: widget
        tags: [counter, demo]
        priority: 70            # 0-100
        status: beta
        load_strategy: lazy
        scope:
          type: template        # either case
          target: v2_dashboard
          owner_module: v2_dashboard
        dependencies:
          modules:
            - id: vyra-base
              min_version: 0.1.0
          services: []
        compatible_with: [v2_dashboard]
        permissions:
          interfaces:
            - transport: publish
              module_name: v2_dashboard
              module_id: null
            - "client:v2_modulemanager/abc123"
          network: false
          storage: read-only
          zenoh_scopes: ["vyra/*"]
        initial_state:
          start:
            type: i32
            default: 3
        entry_points:
          frontend:
            type: vue
            file: ui/index.js
            css: [ui/a.css, ui/b.css]
            slots:
              - scope: [dashboard, sidebar]
                component: CounterWidget
                title: Counter
                priority: 10
                min_width: 2
                min_height: 1
                display_options: {}
                slot_scope: { type: MODULE, target: v2_dashboard }
          backend:
            type: wasm
            file: logic.wasm
            handler: vyra
            runtime_limits:
              memory_mb: 16
              timeout_ms: 500
              cpu_shares: 0.5
            exports:
              - name: init
                args:
                  - name: start
                    type: i32
              - name: increment
                description: Add step.
                args:
                  - { name: step, type: i32 }
            service_exports:
              - name: status
                service: module_status
                method: get
                passthrough: "*"
                kwargs: { verbose: true }
        runtime:
          image_type: SLIM
          resources: { cpu: 0.5, memory: 64Mi }
        config_schema: schema.json
        docs:
          wiki_path: plugins/counter
          search_keywords: [count]
        hash: counter-widget-1.2.0
        checksum: ""
        """;

    [Fact]
    public void The_full_upstream_field_set_maps_onto_the_model()
    {
        var m = ManifestReader.Parse(FullManifest, "counter/manifest.yaml");
        Assert.Equal("counter-widget", m.Id);
        Assert.Equal("1.2.0", m.Version);
        Assert.Equal(new PluginScope("TEMPLATE", "v2_dashboard", "v2_dashboard"), m.Scope);
        Assert.Equal("Counts things, one step at a time.\n", m.Description);
        Assert.Equal(["counter", "demo"], m.Tags);
        Assert.Equal((70, "beta", "widget", "counter-widget-1.2.0"), (m.Priority, m.Status, m.Category, m.Hash));
        Assert.Null(m.Checksum); // "" is upstream's unset
        Assert.Equal([new InterfacePermission("publish", "v2_dashboard"), new InterfacePermission("client", "v2_modulemanager", "abc123")], m.Permissions!.Interfaces);
        Assert.Equal(("read-only", false), (m.Permissions.Storage, m.Permissions.Network));
        Assert.Equal("status", m.ServiceExports!.Single().Name);
        Assert.Null(m.ServiceExports!.Single().Passthrough);
        Assert.Empty(m.Warnings);
        Assert.Equal(PluginLoadStrategy.Lazy, m.LoadStrategy);
        Assert.True(m.HasBackend);
        Assert.Equal(["init", "increment"], m.Exports!.Select(e => e.Name));
        Assert.Equal("Add step.", m.Exports![1].Description);
        Assert.Equal(new RuntimeLimits(16, 500, null, 0.5), m.Limits);
        Assert.Equal(3, m.InitialState.Single().Default?.GetInt32());
        Assert.True(m.Extra.ContainsKey("docs"));
        Assert.True(m.Extra.ContainsKey("dependencies"));
        Assert.Equal("ui/index.js", m.EntryPoints!.Value.GetProperty("frontend").GetProperty("file").GetString());
    }

    [Fact]
    public void Eager_is_the_default_load_strategy()
    {
        var m = ManifestReader.Parse(FullManifest.Replace("load_strategy: lazy\n", ""), "manifest.yaml");
        Assert.Equal(PluginLoadStrategy.Eager, m.LoadStrategy);
        Assert.Contains("'load_strategy' must be", Assert.Throws<PluginLoadException>(() => ManifestReader.Parse(FullManifest.Replace("lazy", "sometimes"), "manifest.yaml")).Message);
    }

    [Theory]
    [InlineData("scope:\n", "old_scope:\n", "required field 'scope' is missing")]
    [InlineData("name: Counter Widget\n", "", "required field 'name' is missing")]
    [InlineData("version: 1.2.0\n", "", "required field 'version' is missing")]
    [InlineData("id: counter-widget", "id: Counter", "'id' must match")]
    [InlineData("version: 1.2.0", "version: 1.2", "semantic version")]
    [InlineData("cpu_shares: 0.5", "cpu_shares: 2", "'cpu_shares' must be a number in (0, 1]")]
    [InlineData("memory_mb: 16", "memory_mb: -4", "'memory_mb' must be a positive integer")]
    [InlineData("{ name: step, type: i32 }", "{ name: step, type: string }", "the upstream schema allows only i32, i64, f32, f64")]
    public void Upstream_rules_name_the_field(string from, string to, string message)
    {
        var ex = Assert.Throws<PluginLoadException>(() => ManifestReader.Parse(FullManifest.Replace(from, to), "p/manifest.yaml"));
        Assert.Contains(message, ex.Message);
        Assert.StartsWith("p/manifest.yaml", ex.Message);
    }

    [Fact]
    public void Errors_point_at_the_yaml_line()
    {
        var yaml = FullManifest.Replace("{ name: step, type: i32 }", "{ name: step, type: i33 }");
        var ex = Assert.Throws<PluginLoadException>(() => ManifestReader.Parse(yaml, "p/manifest.yaml"));
        var expected = yaml.Split('\n').ToList().FindIndex(l => l.Contains("i33")) + 1;
        Assert.Equal(expected, ex.Line);
        Assert.Equal("$.entry_points.backend.exports[1].args[0].type", ex.Field);
    }

    [Fact]
    public void Invalid_yaml_is_a_load_error_with_its_position()
    {
        var ex = Assert.Throws<PluginLoadException>(() => ManifestReader.Parse("id: x\n  bad: [unclosed\n", "p/manifest.yaml"));
        Assert.Contains("YAML", ex.Message);
        Assert.NotNull(ex.Line);
        Assert.Contains("must be a YAML mapping", Assert.Throws<PluginLoadException>(() => ManifestReader.Parse("- a\n- b\n", "manifest.yaml")).Message);
        Assert.Contains("must be a YAML mapping", Assert.Throws<PluginLoadException>(() => ManifestReader.Parse("", "manifest.yaml")).Message);
    }

    [Fact]
    public async Task A_plugin_shipping_only_manifest_yaml_runs_from_its_pool()
    {
        _pool.Add("counter-widget", "1.2.0", yaml: FullManifest, wat: CounterWat);
        var catalog = PluginCatalog.Discover(_pool.Root);
        Assert.True(catalog.Find("counter-widget") is { IsValid: true }, string.Join("; ", catalog.Entries.SelectMany(e => e.Problems)));
        await using var runtime = catalog.CreateRuntime("counter-widget");
        await runtime.StartAsync();
        Assert.Equal(5, (await runtime.CallAsync("increment", SamplePlugins.Args(("step", 2))))["result"]); // init ran with the default 3
    }

    [Fact]
    public async Task Both_files_that_disagree_on_exports_fail_start_naming_both_and_the_export()
    {
        var dir = _pool.Add("counter-widget", "1.2.0", yaml: FullManifest, wat: CounterWat, json:
            """{"id":"counter-widget","version":"1.2.0","exports":[{"name":"init","args":[{"name":"start","type":"i32"}]},{"name":"increment","args":[{"name":"step","type":"i64"}]}]}""");
        await using var runtime = PluginRuntime.Create("counter-widget", Path.Combine(dir, "logic.wat"));
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains("manifest.yaml", ex.Message);
        Assert.Contains("metadata.json", ex.Message);
        Assert.Contains("export 'increment' has different argument types", ex.Message);
    }

    [Fact]
    public async Task Both_files_that_agree_are_fine_and_the_yaml_wins()
    {
        var dir = _pool.Add("counter-widget", "1.2.0", yaml: FullManifest, wat: CounterWat, json:
            """{"id":"counter-widget","version":"1.2.0","exports":[{"name":"init","args":[{"name":"start","type":"i32"}]},{"name":"increment","args":[{"name":"step","type":"i32"}]}]}""");
        await using var runtime = (WasmRuntime)PluginRuntime.Create("counter-widget", Path.Combine(dir, "logic.wat"));
        await runtime.StartAsync();
        Assert.EndsWith("manifest.yaml", runtime.Manifest!.SourcePath);
    }

    [Fact]
    public async Task A_frontend_only_plugin_gives_a_clear_no_backend_answer()
    {
        const string frontendOnly = """
            id: dashboard-panel
            name: Dashboard Panel
            version: 1.0.0
            scope: { type: GLOBAL, target: "" }
            entry_points:
              frontend:
                type: vue
                file: Panel.vue
            """;
        var dir = _pool.Add("dashboard-panel", yaml: frontendOnly);
        var catalog = PluginCatalog.Discover(_pool.Root);
        var entry = Assert.Single(catalog.Entries);
        Assert.True(entry is { IsValid: true, IsFrontendOnly: true, CanRun: false }, string.Join("; ", entry.Problems));
        Assert.Null(catalog.Find("dashboard-panel"));
        Assert.Contains("no backend entry point", Assert.Throws<PluginLoadException>(() => catalog.CreateRuntime("dashboard-panel")).Message);

        var log = new ListLoggerFactory();
        var stub = PluginRuntime.Create("dashboard-panel", Path.Combine(dir, "logic.wasm"), options: new PluginRuntimeOptions { LoggerFactory = log });
        Assert.IsType<StubRuntime>(stub);
        Assert.Contains(log.Lines, l => l.Message.Contains("frontend-only"));

        // A module present anyway does not make it runnable: the manifest says there is no backend.
        File.WriteAllText(Path.Combine(dir, "logic.wat"), CounterWat);
        await using var wasm = PluginRuntime.Create("dashboard-panel", Path.Combine(dir, "logic.wat"));
        Assert.Contains("no backend entry point", (await Assert.ThrowsAsync<PluginLoadException>(async () => await wasm.StartAsync())).Message);
    }
}
