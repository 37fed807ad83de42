using System.Text;
using Vyra.Sdk;
using Xunit;

namespace Vyra.Sdk.Tests.Manifest;

public class ManifestReaderTests
{
    private static PluginManifest Parse(string json) => ManifestReader.Parse(Encoding.UTF8.GetBytes(json), "plugin/metadata.json");

    private static PluginLoadException Fails(string json) => Assert.Throws<PluginLoadException>(() => Parse(json));

    [Fact]
    public void Reads_the_vyra_object_form_with_args()
    {
        var m = Parse("""
            {"id":"counter-widget","version":"1.0.0","name":"Counter","description":"d",
             "exports":[{"name":"increment","args":[{"name":"step","type":"i32"}]}]}
            """);
        Assert.Equal("counter-widget", m.Id);
        Assert.Equal("1.0.0", m.Version);
        var export = Assert.Single(m.Exports!);
        Assert.Equal("increment", export.Name);
        Assert.Equal([new ArgDeclaration("step", PluginValueType.I32)], export.Args);
        Assert.Null(export.Returns);
        Assert.False(export.IsLegacy);
    }

    [Fact]
    public void Reads_legacy_string_exports_without_a_signature()
    {
        var m = Parse("""{"id":"legacy","exports":["increment","reset"]}""");
        Assert.All(m.Exports!, e => Assert.True(e.IsLegacy));
        Assert.Equal(["increment", "reset"], m.Exports!.Select(e => e.Name));
    }

    [Fact]
    public void A_manifest_without_exports_has_null_exports()
    {
        var m = Parse("""{"id":"bare","version":"0.1.0"}""");
        Assert.Null(m.Exports);
        Assert.Null(m.Imports);
        Assert.Empty(m.InitialState);
    }

    [Fact]
    public void Keeps_fields_the_runtime_ignores()
    {
        var m = Parse("""
            {"id":"p","scope":{"type":"MODULE","target":"m"},"checksum":"","ui":{"slots":[{"slot":"sidebar"}]},
             "permissions":{"interfaces":[],"network":false,"storage":"none","zenoh_scopes":[]},
             "help":{"en":"text"},"name":"Plain"}
            """);
        Assert.True(m.Extra.ContainsKey("ui"));
        Assert.True(m.Extra.ContainsKey("permissions"));
        Assert.True(m.Extra.ContainsKey("checksum"));
        Assert.Equal("Plain", m.Name);
        Assert.Null(m.Checksum); // "" is upstream's unset
    }

    [Fact]
    public void Parses_our_extensions()
    {
        var m = Parse("""
            {"id":"ext",
             "exports":[{"name":"f","args":[{"name":"s","type":"string"},{"name":"b","type":"bytes"},{"name":"j","type":"json"},{"name":"ok","type":"bool"}],"returns":"string"},
                        {"name":"g","args":[],"returns":["i32","f64"]},
                        {"name":"h","args":[],"returns":"void"}],
             "imports":["host_log",{"name":"host_add","args":[{"name":"a","type":"i32"},{"name":"b","type":"i32"}],"returns":"i32"}],
             "initial_state":{"start":{"type":"i64","default":7},"label":"plain"},
             "events":["text.*"],
             "entry_points":{"backend":{"runtime_limits":{"memory_mb":16,"timeout_ms":250,"fuel":100000}}}}
            """);
        Assert.Equal([PluginValueType.String], m.Exports![0].Returns);
        Assert.Equal([PluginValueType.String, PluginValueType.Bytes, PluginValueType.Json, PluginValueType.Bool], m.Exports[0].Args!.Select(a => a.Type));
        Assert.Equal([PluginValueType.I32, PluginValueType.F64], m.Exports[1].Returns);
        Assert.Empty(m.Exports[2].Returns!);
        Assert.Equal("host_log", m.Imports![0].Name);
        Assert.Null(m.Imports[0].Args);
        Assert.Equal([PluginValueType.I32], m.Imports[1].Returns);
        Assert.Equal(PluginValueType.I64, m.InitialState[0].Type);
        Assert.Equal(7, m.InitialState[0].Default!.Value.GetInt32());
        Assert.Null(m.InitialState[1].Type);
        Assert.Equal("plain", m.InitialState[1].Default!.Value.GetString());
        Assert.Equal(["text.*"], m.Events);
        Assert.Equal(new RuntimeLimits(16, 250, 100000), m.Limits);
    }

    [Fact]
    public void Invalid_json_names_file_line_and_column()
    {
        var ex = Fails("{\n  \"id\": \"p\",\n  \"exports\": [,]\n}");
        Assert.Equal("plugin/metadata.json", ex.FilePath);
        Assert.Equal(3, ex.Line);
        Assert.StartsWith("plugin/metadata.json(3,", ex.Message);
        Assert.Contains("invalid JSON", ex.Message);
    }

    [Fact]
    public void A_wrong_shape_names_the_field_and_its_line()
    {
        var ex = Fails("{\n  \"id\": \"p\",\n  \"exports\": 42\n}");
        Assert.Equal(3, ex.Line);
        Assert.Equal("$.exports", ex.Field);
        Assert.Contains("must be a list", ex.Message);
    }

    [Fact]
    public void An_unknown_type_names_the_nested_field()
    {
        var ex = Fails("""
            {"id":"p",
             "exports":[
               {"name":"ok","args":[]},
               {"name":"bad","args":[{"name":"x","type":"i33"}]}
             ]}
            """);
        Assert.Equal("$.exports[1].args[0].type", ex.Field);
        Assert.Equal(4, ex.Line);
        Assert.Contains("unknown type \"i33\"", ex.Message);
    }

    [Theory]
    [InlineData("""{"version":"1.0.0"}""", "$", "required field 'id' is missing")]
    [InlineData("""{"id":"Bad Id"}""", "$.id", "'id' must match")]
    [InlineData("""{"id":42}""", "$.id", "'id' must match")]
    [InlineData("""{"id":"p","version":"one"}""", "$.version", "semantic version")]
    [InlineData("""{"id":"p","exports":[{"name":"a"},{"name":"a"}]}""", "$.exports[1].name", "declared twice")]
    [InlineData("""{"id":"p","exports":[{"args":[]}]}""", "$.exports[0]", "required field 'name' of an export is missing")]
    [InlineData("""{"id":"p","exports":[{"name":"f","args":[{"name":"1x","type":"i32"}]}]}""", "$.exports[0].args[0].name", "not a valid identifier")]
    [InlineData("""{"id":"p","exports":[{"name":"f","returns":"void2"}]}""", "$.exports[0].returns", "unknown type")]
    [InlineData("""{"id":"p","entry_points":{"backend":{"runtime_limits":{"memory_mb":-1}}}}""", "$.entry_points.backend.runtime_limits.memory_mb", "positive integer")]
    [InlineData("""{"id":"p","events":"text.*"}""", "$.events", "must be a list")]
    [InlineData("[]", "$", "")]
    [InlineData("null", "$", "must be a JSON object")]
    public void Bad_manifests_say_which_field(string json, string field, string message)
    {
        var ex = Fails(json);
        if (field != "$") Assert.Equal(field, ex.Field);
        Assert.Contains(message, ex.Message);
        Assert.StartsWith("plugin/metadata.json", ex.Message);
    }

    [Fact]
    public void A_byte_order_mark_is_accepted()
    {
        Assert.Equal("bom", ManifestReader.Parse([0xEF, 0xBB, 0xBF, .. """{"id":"bom"}"""u8]).Id);
    }

    [Fact]
    public void Dotted_ids_are_allowed()
    {
        Assert.Equal("vyra.counter-widget", Parse("""{"id":"vyra.counter-widget"}""").Id);
    }

    [Fact]
    public void Reading_a_missing_file_is_a_load_error_naming_it()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "metadata.json");
        var ex = Assert.Throws<PluginLoadException>(() => ManifestReader.ReadFile(path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Every_sample_manifest_reads()
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "plugins"), "metadata.json", SearchOption.AllDirectories))
        {
            var manifest = ManifestReader.ReadFile(file);
            Assert.NotNull(manifest.Exports);
        }
    }
}
