using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Manifest;

/// <summary>Upstream VYRA's manifest.yaml: read onto the same model, upstream's rules enforced, errors located in the YAML.</summary>
public class YamlManifestTests : IDisposable
{
    private readonly string _pool = Path.Combine(Path.GetTempPath(), "vyra-yaml-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_pool)) Directory.Delete(_pool, recursive: true);
    }

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
        scope: module
        description: Counts things.
        author: VYRA team
        load_strategy: lazy
        dependencies:
          vyra_base: ">=0.1"
        docs:
          help: "Click to count."
        slots:
          - slot: sidebar
            component: CounterWidget
        permissions:
          interfaces: []
          network: false
          storage: false
          zenoh_scopes: []
        initial_state:
          start:
            type: i32
            default: 3
        entry_points:
          frontend:
            component: CounterWidget.vue
          backend:
            runtime: wasm
            file: logic.wasm
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
        """;

    private string AddPlugin(string id, string version, string? yaml, string? json = null, string? wat = CounterWat)
    {
        var dir = Path.Combine(_pool, id, version);
        Directory.CreateDirectory(dir);
        if (yaml is not null) File.WriteAllText(Path.Combine(dir, "manifest.yaml"), yaml);
        if (json is not null) File.WriteAllText(Path.Combine(dir, "metadata.json"), json);
        if (wat is not null) File.WriteAllText(Path.Combine(dir, "logic.wat"), wat);
        return dir;
    }

    [Fact]
    public void The_full_upstream_field_set_maps_onto_the_model()
    {
        var m = YamlManifest.Parse(FullManifest, "counter/manifest.yaml");
        Assert.Equal("counter-widget", m.Id);
        Assert.Equal("1.2.0", m.Version);
        Assert.Equal("module", m.Scope);
        Assert.Equal(PluginLoadStrategy.Lazy, m.LoadStrategy);
        Assert.True(m.HasBackend);
        Assert.Equal(["init", "increment"], m.Exports!.Select(e => e.Name));
        Assert.Equal("Add step.", m.Exports![1].Description);
        Assert.Equal(new RuntimeLimits(16, 500, null, 0.5), m.Limits);
        Assert.Equal(3, m.InitialState.Single().Default?.GetInt32());
        Assert.True(m.Extra.ContainsKey("slots"));
        Assert.True(m.Extra.ContainsKey("dependencies"));
    }

    [Fact]
    public void Eager_is_the_default_load_strategy()
    {
        var m = YamlManifest.Parse(FullManifest.Replace("load_strategy: lazy\n", ""));
        Assert.Equal(PluginLoadStrategy.Eager, m.LoadStrategy);
        Assert.Contains("'load_strategy' must be", Assert.Throws<PluginLoadException>(() => YamlManifest.Parse(FullManifest.Replace("lazy", "sometimes"))).Message);
    }

    [Theory]
    [InlineData("scope: module\n", "", "required field 'scope' is missing")]
    [InlineData("name: Counter Widget\n", "", "required field 'name' is missing")]
    [InlineData("version: 1.2.0\n", "", "required field 'version' is missing")]
    [InlineData("id: counter-widget", "id: Counter", "'id' must match")]
    [InlineData("version: 1.2.0", "version: 1.2", "semantic version")]
    [InlineData("cpu_shares: 0.5", "cpu_shares: 2", "'cpu_shares' must be a number in (0, 1]")]
    [InlineData("memory_mb: 16", "memory_mb: -4", "'memory_mb' must be a positive integer")]
    [InlineData("{ name: step, type: i32 }", "{ name: step, type: string }", "the upstream schema allows only i32, i64, f32, f64")]
    public void Upstream_rules_name_the_field(string from, string to, string message)
    {
        var ex = Assert.Throws<PluginLoadException>(() => YamlManifest.Parse(FullManifest.Replace(from, to), "p/manifest.yaml"));
        Assert.Contains(message, ex.Message);
        Assert.StartsWith("p/manifest.yaml", ex.Message);
    }

    [Fact]
    public void Errors_point_at_the_yaml_line()
    {
        var yaml = FullManifest.Replace("{ name: step, type: i32 }", "{ name: step, type: i33 }");
        var ex = Assert.Throws<PluginLoadException>(() => YamlManifest.Parse(yaml, "p/manifest.yaml"));
        var expected = yaml.Split('\n').ToList().FindIndex(l => l.Contains("i33")) + 1;
        Assert.Equal(expected, ex.Line);
        Assert.Equal("$.entry_points.backend.exports[1].args[0].type", ex.Field);
    }

    [Fact]
    public void Invalid_yaml_is_a_load_error_with_its_position()
    {
        var ex = Assert.Throws<PluginLoadException>(() => YamlManifest.Parse("id: x\n  bad: [unclosed\n", "p/manifest.yaml"));
        Assert.Contains("invalid YAML", ex.Message);
        Assert.NotNull(ex.Line);
        Assert.Contains("must be a mapping", Assert.Throws<PluginLoadException>(() => YamlManifest.Parse("- a\n- b\n")).Message);
        Assert.Contains("must be a mapping", Assert.Throws<PluginLoadException>(() => YamlManifest.Parse("")).Message);
    }

    [Fact]
    public async Task A_plugin_shipping_only_manifest_yaml_runs_from_its_pool()
    {
        AddPlugin("counter-widget", "1.2.0", FullManifest);
        var catalog = PluginCatalog.Discover(_pool);
        Assert.True(catalog.Find("counter-widget") is { IsValid: true }, string.Join("; ", catalog.Entries.SelectMany(e => e.Problems)));
        await using var runtime = catalog.CreateRuntime("counter-widget");
        await runtime.StartAsync();
        Assert.Equal(5, (await runtime.CallAsync("increment", SamplePlugins.Args(("step", 2))))["result"]); // init ran with the default 3
    }

    [Fact]
    public async Task Both_files_that_disagree_on_exports_fail_start_naming_both_and_the_export()
    {
        var dir = AddPlugin("counter-widget", "1.2.0", FullManifest,
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
        var dir = AddPlugin("counter-widget", "1.2.0", FullManifest,
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
            scope: global
            entry_points:
              frontend:
                component: Panel.vue
            """;
        var dir = AddPlugin("dashboard-panel", "1.0.0", frontendOnly, wat: null);
        var catalog = PluginCatalog.Discover(_pool);
        var entry = Assert.Single(catalog.Entries);
        Assert.Contains(entry.Problems, p => p.Contains("frontend-only") && p.Contains("no backend entry point"));
        Assert.DoesNotContain(entry.Problems, p => p.Contains("no logic.wasm"));
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
