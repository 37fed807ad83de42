using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Components;

/// <summary>The manifest's <c>component</c> block (docs/components.md) in both files, and its refusals named by file and field.</summary>
public class ComponentManifestTests : IDisposable
{
    private readonly TempPool _pool = new("component-manifest");

    public void Dispose() => _pool.Dispose();

    [Fact]
    public void The_json_shape_reads_world_and_wit_with_wit_defaulting_to_the_wit_folder()
    {
        var manifest = ManifestReader.Parse("""{"id":"c","component":{"world":"calc"}}"""u8);
        Assert.Equal(new ComponentDeclaration("calc", "wit"), manifest.Component);
        var full = ManifestReader.Parse("""{"id":"c","component":{"world":"test:calc/calc@1.0.0","wit":"interfaces/calc.wit"}}"""u8);
        Assert.Equal(new ComponentDeclaration("test:calc/calc@1.0.0", "interfaces/calc.wit"), full.Component);
        Assert.Null(ManifestReader.Parse("""{"id":"c"}"""u8).Component);
        Assert.False(full.Extra.ContainsKey("component"));
    }

    [Fact]
    public void The_yaml_shape_reads_the_same_block()
    {
        var folder = _pool.Add("c", yaml: """
            id: c
            name: C
            version: 1.0.0
            scope: { type: GLOBAL, target: any }
            component:
              world: calc
              wit: wit
            """);
        Assert.Equal(new ComponentDeclaration("calc", "wit"), ManifestReader.ReadFolder(folder)!.Component);
    }

    [Theory]
    [InlineData("""{"id":"c","component":"calc"}""", "$.component", "'component' must be an object")]
    [InlineData("""{"id":"c","component":{}}""", "$.component", "required field 'world' of 'component' is missing")]
    [InlineData("""{"id":"c","component":{"world":"Calc_World"}}""", "$.component.world", "'component.world' must be a WIT world name")]
    [InlineData("""{"id":"c","component":{"world":42}}""", "$.component.world", "'component.world' must be a WIT world name")]
    [InlineData("""{"id":"c","component":{"world":"calc","wit":"/etc"}}""", "$.component.wit", "'component.wit' must be a relative path")]
    [InlineData("""{"id":"c","component":{"world":"calc","wit":"C:\\wit"}}""", "$.component.wit", "'component.wit' must be a relative path")]
    [InlineData("""{"id":"c","component":{"world":"calc","wit":"wit/../../x"}}""", "$.component.wit", "must not leave the plugin folder")]
    [InlineData("""{"id":"c","component":{"world":"calc","wit":""}}""", "$.component.wit", "must not be empty")]
    [InlineData("""{"id":"c","component":{"world":"calc","wit":["a"]}}""", "$.component.wit", "must be a string")]
    public void Bad_values_are_refused_naming_file_and_field(string json, string field, string message)
    {
        var folder = _pool.Add("bad" + Math.Abs(json.GetHashCode()), json: json);
        var ex = Assert.Throws<PluginLoadException>(() => ManifestReader.ReadFolder(folder));
        Assert.Equal(field, ex.Field);
        Assert.Contains(message, ex.Message);
        Assert.Contains("metadata.json(1,", ex.Message);
    }

    [Fact]
    public void Bad_values_in_yaml_are_located_in_the_yaml()
    {
        var folder = _pool.Add("y", yaml: """
            id: y
            name: Y
            version: 1.0.0
            scope: { type: GLOBAL, target: any }
            component:
              world: calc
              wit: ../outside
            """);
        var ex = Assert.Throws<PluginLoadException>(() => ManifestReader.ReadFolder(folder));
        Assert.Equal("$.component.wit", ex.Field);
        Assert.Contains("manifest.yaml(7,", ex.Message);
    }
}
