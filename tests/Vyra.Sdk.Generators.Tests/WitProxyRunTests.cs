using System.Reflection;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Vyra.Sdk.Generators.Tests;

/// <summary>
/// The generated proxy and host binding at run time: the sample's WIT world is generated, compiled with a small driver,
/// loaded, and run against the sample's component through the real kernel and Wasmtime.
/// </summary>
public class WitProxyRunTests
{
    private const string Driver = """
        using Sample.App.Plugins;

        public static class Driver
        {
            public static async System.Threading.Tasks.Task<string> RunAsync(string path)
            {
                var recorder = new Recorder();
                await using var calc = await CalcComponent.StartAsync("calc", path, recorder);
                var product = await calc.ComputeAsync(new Types.Request(Types.Op.Mul, 6, 7, "six times seven"));
                var difference = await calc.ComputeAsync(new Types.Request(Types.Op.Sub, 1, 3, "one minus three"));
                var version = await calc.VersionAsync();
                return $"{product}|{difference}|{version}|{string.Join(",", recorder.Lines)}";
            }

            private sealed class Recorder : ICalcImports
            {
                public System.Collections.Generic.List<string> Lines { get; } = new();

                public void Log(string message) => Lines.Add(message);
            }
        }
        """;

    [Fact]
    public async Task The_generated_proxy_calls_the_sample_component_and_its_host_binding_receives_the_import()
    {
        var folder = Repo.Path("samples", "Vyra.Samples.Components", "plugins", "calc", "1.0.0");
        var wit = new InMemoryAdditionalText("/repo/samples/calc/wit/calc.wit", File.ReadAllText(Path.Combine(folder, "wit", "calc.wit")));
        var (result, output) = GeneratorHarness.Run([wit], [Driver]);
        Assert.Null(result.Exception);
        Assert.Empty(GeneratorHarness.Problems(output).Select(d => d.ToString()));
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var assembly = Assembly.Load(image.ToArray());
        var run = assembly.GetType("Driver")!.GetMethod("RunAsync")!;
        var answer = await (Task<string>)run.Invoke(null, [Path.Combine(folder, "logic.wat")])!;
        Assert.Equal("42|-2|calc 1.0.0|six times seven,one minus three", answer);
    }
}
