using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Components;

/// <summary>The sample's component plugin (samples/Vyra.Samples.Components) agrees with its WIT world and runs.</summary>
public class ComponentSampleTests
{
    [Fact]
    public async Task The_sample_calc_component_starts_and_answers_by_name()
    {
        var path = Path.Combine(RepoRoot.Path, "samples", "Vyra.Samples.Components", "plugins", "calc", "1.0.0", "logic.wat");
        var logged = new List<string>();
        var runtime = Assert.IsType<ComponentRuntime>(PluginRuntime.Create("calc", path));
        runtime.DefineImport("log", (args, _) => logged.Add(args[0].AsString()));
        await using (runtime)
        {
            await runtime.StartAsync();
            var request = new Dictionary<string, object?> { ["op"] = "mul", ["a"] = 6, ["b"] = 7, ["note"] = "n" };
            Assert.Equal(42, (await runtime.CallAsync("compute", new Dictionary<string, object?> { ["req"] = request }))["result"]);
            Assert.Equal("calc 1.0.0", (await runtime.CallAsync("version"))["result"]);
            Assert.Equal(["n"], logged);
            var bad = new Dictionary<string, object?> { ["op"] = "div", ["a"] = 6, ["b"] = 7, ["note"] = "n" };
            var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("compute", new Dictionary<string, object?> { ["req"] = bad }));
            Assert.Contains("argument 'req.op': 'div' is not a case of the enum op (add, sub, mul)", ex.Message);
        }
    }
}
