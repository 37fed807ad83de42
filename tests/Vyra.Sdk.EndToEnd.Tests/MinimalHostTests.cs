using Xunit;

namespace Vyra.Sdk.EndToEnd.Tests;

/// <summary>
/// Deriving from <see cref="BaseHostFunctions"/> to add one <c>host_*</c> method needs nothing else: every other
/// member has a default (notifications log and complete, the transport hooks refuse with NotSupportedException).
/// </summary>
[VyraHost]
public sealed partial class MinimalHost : BaseHostFunctions
{
    public int host_twice(int value) => value * 2;
}

public sealed class MinimalHostTests : IDisposable
{
    private const string Wat = """
        (module
          (import "vyra" "host_twice" (func $twice (param i32) (result i32)))
          (func (export "quadruple") (param $x i32) (result i32)
            local.get $x call $twice call $twice))
        """;

    private const string Manifest = """
        {"id":"minimal","exports":[{"name":"quadruple","args":[{"name":"x","type":"i32"}],"returns":"i32"}],
         "imports":[{"name":"host_twice","args":[{"name":"value","type":"i32"}],"returns":"i32"}]}
        """;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "vyra-minimal-" + Guid.NewGuid().ToString("N"));

    public MinimalHostTests()
    {
        Directory.CreateDirectory(_folder);
        File.WriteAllText(Path.Combine(_folder, "logic.wat"), Wat);
        File.WriteAllText(Path.Combine(_folder, "metadata.json"), Manifest);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_host_with_one_host_method_and_no_overrides_serves_the_guest()
    {
        var host = new MinimalHost();
        await using var runtime = PluginRuntime.Create("minimal", Path.Combine(_folder, "logic.wat"), host, options: new PluginRuntimeOptions { StubFallback = StubFallback.Refuse });
        await runtime.StartAsync();
        // The result notification goes to the default NotifyUiAsync, which must neither throw nor fail the call.
        Assert.Equal(28, Convert.ToInt32((await runtime.CallAsync("quadruple", new Dictionary<string, object?> { ["x"] = 7 }))["result"]));
    }

    [Fact]
    public void A_host_with_no_overrides_talks_over_the_in_process_bus()
    {
        Assert.Same(InProcessBus.Shared, new MinimalHost().Interfaces);
    }
}
