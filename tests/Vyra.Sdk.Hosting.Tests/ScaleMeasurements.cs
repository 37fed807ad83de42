using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Vyra.Sdk.Hosting;
using Xunit;
using Xunit.Abstractions;

namespace Vyra.Sdk.Hosting.Tests;

/// <summary>Opt-in (VYRA_MEASURE=1): host start with many versions of one id grows linearly (the catalog is indexed once).</summary>
public sealed class ScaleMeasurements(ITestOutputHelper output)
{
    [MeasureFact]
    public async Task Measure_start_with_many_versions_of_one_id()
    {
        foreach (var n in new[] { 250, 500, 1000, 2000 })
        {
            using var pool = new TempPool();
            for (var i = 0; i < n; i++) pool.Add("many", """{ "id": "many", "version": "1.0.0", "exports": [ { "name": "f", "args": [], "returns": "i32" } ] }""".Replace("1.0.0", $"1.0.{i}"), "(module (func (export \"f\") (result i32) (i32.const 1)))", $"1.0.{i}");
            var builder = Fixtures.NewHost(new Dictionary<string, string?> { ["Vyra:Plugins:Pools:0"] = pool.Root, ["Vyra:Plugins:StartAll"] = "true" });
            builder.Services.AddVyraPlugins();
            using var host = builder.Build();
            var registry = host.Services.GetRequiredService<PluginRuntimeRegistry>();
            var w = Stopwatch.StartNew();
            var discover = PluginCatalog.Discover(registry.Pools);
            var tDiscover = w.ElapsedMilliseconds;
            w.Restart();
            await host.StartAsync();
            var tStart = w.ElapsedMilliseconds;
            w.Restart();
            for (var i = 0; i < 1000; i++) registry.IsKnown("many");
            var tKnown = w.ElapsedMilliseconds;
            output.WriteLine($"n={n}: kernel discover {tDiscover} ms, host start (discover+index+start) {tStart} ms, 1000 IsKnown {tKnown} ms");
            await host.StopAsync();
        }
    }
}
