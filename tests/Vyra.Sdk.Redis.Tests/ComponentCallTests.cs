using System.Collections.Concurrent;
using Vyra.Sdk;
using Xunit;
using static Vyra.Sdk.Redis.Tests.Bench;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>
/// A component plugin (docs/components.md) served over Redis unchanged: records and enums cross the wire as
/// JSON-shaped values, the host's import binding runs on the serving host, and error kinds come back as they are.
/// </summary>
public sealed class ComponentCallTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private sealed class RecordingImports : Plugins.ICalcImports
    {
        public ConcurrentQueue<string> Logged { get; } = new();

        public void Log(string message) => Logged.Enqueue(message);
    }

    [Fact]
    public async Task A_component_served_on_one_host_answers_remote_calls_with_records_and_enums()
    {
        await using var bench = Create(redis);
        var imports = new RecordingImports();
        var path = Path.Combine(AppContext.BaseDirectory, "component-plugins", "calc", "1.0.0", "logic.wat");
        await using var calc = await Plugins.CalcComponent.StartAsync("calc", path, imports);
        Assert.Equal("component", calc.Runtime.Backend);
        await bench.ServeAsync(null, calc.Runtime);
        var remote = await bench.RemoteAsync("calc");

        Assert.Equal("calc 1.0.0", (await remote.CallAsync("version"))["result"]);
        var request = Args(("req", Args(("op", "mul"), ("a", 6), ("b", -7), ("note", "over the wire"))));
        Assert.Equal(-42L, Convert.ToInt64((await remote.CallAsync("compute", request))["result"]));
        Assert.Equal(["over the wire"], imports.Logged);

        // An enum case the world does not have: refused where the values are mapped, named by path, kind kept.
        var bad = Args(("req", Args(("op", "pow"), ("a", 1), ("b", 2), ("note", ""))));
        var refused = await Assert.ThrowsAsync<PluginCallException>(async () => await remote.CallAsync("compute", bad));
        Assert.Equal(PluginErrorKind.InvalidArgument, refused.Kind);
        Assert.Contains("req.op", refused.Reason);
        Assert.Single(imports.Logged);
    }
}
