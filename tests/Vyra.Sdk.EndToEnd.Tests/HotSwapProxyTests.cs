using Vyra.Sdk;
using Vyra.Sdk.EndToEnd.Tests.Plugins;
using Xunit;
using static Vyra.Sdk.EndToEnd.Tests.SamplePlugins;

namespace Vyra.Sdk.EndToEnd.Tests;

/// <summary>A generated proxy keeps working across a hot swap of the runtime it was made over, typed paths included.</summary>
public class HotSwapProxyTests
{
    // counter-widget's exports, but increment counts double: the answers tell the versions apart.
    private const string Doubling = """
        (module
          (global $count (mut i32) (i32.const 0))
          (func (export "init") (param $start i32) (result i32) local.get $start global.set $count global.get $count)
          (func (export "increment") (param $step i32) (result i32)
            global.get $count local.get $step i32.const 2 i32.mul i32.add global.set $count global.get $count)
          (func (export "reset") (result i32) i32.const 0 global.set $count i32.const 0)
          (func (export "get_count") (result i32) global.get $count))
        """;

    [Fact]
    public async Task A_counter_widget_proxy_calls_the_new_version_after_a_swap()
    {
        var folder = Path.Combine(Path.GetTempPath(), "vyra-e2e-swap-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            File.Copy(Path.Combine(Path.GetDirectoryName(Module("counter-widget"))!, "metadata.json"), Path.Combine(folder, "metadata.json"));
            File.WriteAllText(Path.Combine(folder, "logic.wat"), Doubling);
            await using var counter = CounterWidgetPlugin.Create(Module("counter-widget"));
            await counter.StartAsync();
            Assert.Equal(3, counter.Increment(3));

            var result = await ((WasmRuntime)counter.Runtime).SwapAsync(Path.Combine(folder, "logic.wat"));

            Assert.True(result.Succeeded, result.Message);
            Assert.False(result.StateCarried); // the sample exports no vyra_snapshot
            Assert.Contains("exports no vyra_snapshot", result.StateNote);
            Assert.Equal(10, counter.Increment(5)); // sync typed path: a fresh counter, doubled
            Assert.Equal(12, await counter.IncrementAsync(1)); // async typed path
            Assert.Equal(12, counter.GetCount());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
