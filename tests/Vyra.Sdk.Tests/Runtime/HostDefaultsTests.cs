using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Runtime;

/// <summary>The defaults of <see cref="BaseHostFunctions"/> and a host derived from <see cref="NullHostFunctions"/>.</summary>
public class HostDefaultsTests
{
    /// <summary>Adds one import by hand and overrides nothing else.</summary>
    private sealed class OneImportHost : BaseHostFunctions
    {
        protected override void RegisterImports(HostImportRegistry imports) =>
            imports.Add("host_twice", [PluginValueType.I32], [PluginValueType.I32], call => call.ReturnInt32(call.GetInt32(0) * 2));
    }

    /// <summary>Ignores the transport hooks like the null host but wants the result notifications.</summary>
    private sealed class NotifiedHost : NullHostFunctions
    {
        public List<string> Events { get; } = [];

        public override ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default)
        {
            lock (Events) Events.Add(eventName);
            return ValueTask.CompletedTask;
        }
    }

    private const string Wat = """
        (module
          (import "vyra" "host_twice" (func $twice (param i32) (result i32)))
          (func (export "quadruple") (param $x i32) (result i32) local.get $x call $twice call $twice))
        """;

    private const string Manifest = """
        {"id":"twice","exports":[{"name":"quadruple","args":[{"name":"x","type":"i32"}],"returns":"i32"}],
         "imports":[{"name":"host_twice","args":[{"name":"v","type":"i32"}],"returns":"i32"}]}
        """;

    [Fact]
    public async Task A_host_that_only_registers_an_import_serves_the_guest()
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        await using var runtime = PluginRuntime.Create("twice", plugin.ModulePath, new OneImportHost());
        await runtime.StartAsync();
        Assert.Equal(12, Convert.ToInt32((await runtime.CallAsync("quadruple", SamplePlugins.Args(("x", 3))))["result"]));
    }

    [Fact]
    public async Task A_subclass_of_the_null_host_receives_result_notifications()
    {
        using var plugin = TempPlugin.FromWat("(module (func (export \"one\") (result i32) i32.const 1))", """{"id":"one","exports":[{"name":"one","returns":"i32"}]}""");
        var host = new NotifiedHost();
        await using var runtime = PluginRuntime.Create("one", plugin.ModulePath, host);
        await runtime.StartAsync();
        await runtime.CallAsync("one");
        Assert.Equal(["plugin.one.result"], host.Events);
        Assert.Same(InProcessBus.Shared, host.Interfaces);
    }
}
