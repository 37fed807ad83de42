using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Vyra.Sdk;
using Vyra.Sdk.Hosting;
using Xunit;

namespace Vyra.Sdk.Hosting.Tests;

/// <summary>Start-up and configuration faults: each is a clear error or a logged, contained failure, never a crash.</summary>
public sealed class HostingRobustnessTests
{
    private static Dictionary<string, string?> Config(params (string Key, string Value)[] pairs)
    {
        var config = new Dictionary<string, string?> { ["Vyra:Plugins:Pools:0"] = Fixtures.SamplePool };
        foreach (var (key, value) in pairs) config[key] = value;
        return config;
    }

    private static async Task<OptionsValidationException> StartFailsAsync(Dictionary<string, string?> config, Action<VyraPluginsOptions>? code = null)
    {
        var builder = Fixtures.NewHost(config);
        builder.Services.AddVyraPlugins(code);
        using var host = builder.Build();
        return await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
    }

    [Fact]
    public async Task A_value_that_does_not_convert_fails_the_start_naming_its_key()
    {
        var error = await StartFailsAsync(Config(
            ("Vyra:Plugins:ById:math-kit:TimeoutMs", "300ms"),
            ("Vyra:Plugins:ById:math-kit:Instances", "2"),
            ("Vyra:Plugins:ById:math-kit:AutoStart", "yes"),
            ("Vyra:Plugins:StartAll", "sometimes")));
        Assert.Contains("Vyra:Plugins:ById:math-kit:TimeoutMs: '300ms' is not a whole number", error.Message);
        Assert.Contains("Vyra:Plugins:ById:math-kit:AutoStart: 'yes' is not true or false", error.Message);
        Assert.Contains("Vyra:Plugins:StartAll: 'sometimes' is not true or false", error.Message);
        Assert.DoesNotContain("Instances", error.Message);
    }

    [Fact]
    public async Task An_unknown_key_is_an_error_rather_than_ignored()
    {
        var error = await StartFailsAsync(Config(("Vyra:Plugins:ById:math-kit:Timeout", "300"), ("Vyra:Plugins:Pool", "x")));
        Assert.Contains("Vyra:Plugins:ById:math-kit:Timeout: unknown plugin setting", error.Message);
        Assert.Contains("TimeoutMs", error.Message); // the known names are listed
        Assert.Contains("Vyra:Plugins:Pool: unknown setting", error.Message);
    }

    [Fact]
    public async Task Values_that_convert_are_kept_field_by_field()
    {
        var builder = Fixtures.NewHost(Config(("Vyra:Plugins:ById:math-kit:TimeoutMs", "300"), ("Vyra:Plugins:ById:math-kit:Instances", "2")));
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();
        var context = host.Services.GetRequiredService<PluginRuntimeRegistry>().CreateContext("math-kit");
        Assert.Equal(TimeSpan.FromMilliseconds(300), context.Options.Timeout);
        Assert.Equal(2, context.Options.Instances);
    }

    [Fact]
    public async Task Limits_out_of_range_are_refused_from_configuration_and_from_code()
    {
        var error = await StartFailsAsync(
            Config(
                ("Vyra:Plugins:ById:math-kit:Instances", "1000000"),
                ("Vyra:Plugins:ById:text-tools:Instances", "0"),
                ("Vyra:Plugins:Defaults:TimeoutMs", "-5"),
                ("Vyra:Plugins:ById:counter-widget:MemoryMb", "5000")),
            o => o.Configure("yaml-counter", s => s.Fuel = 0));
        Assert.Contains($"Vyra:Plugins:ById:math-kit:Instances: 1000000 is outside 1..{PluginSettings.MaxInstances}", error.Message);
        Assert.Contains("Vyra:Plugins:ById:text-tools:Instances: 0 is outside", error.Message);
        Assert.Contains("Vyra:Plugins:Defaults:TimeoutMs: -5 is negative", error.Message);
        Assert.Contains("Vyra:Plugins:ById:counter-widget:MemoryMb: 5000 is outside", error.Message);
        Assert.Contains("Vyra:Plugins:ById:yaml-counter:Fuel: 0", error.Message);

        Assert.Throws<ArgumentException>(() => new PluginSettings { TimeoutMs = -1 }.ToRuntimeOptions());
        Assert.Equal(Timeout.InfiniteTimeSpan, new PluginSettings { TimeoutMs = 0 }.ToRuntimeOptions().Timeout);
    }

    private static PluginCatalog FailOn(string badPool, IEnumerable<string> pools, IHostFunctions? host, ILogger? logger)
    {
        var list = pools.ToList();
        if (list.Contains(badPool)) throw new UnauthorizedAccessException($"Access to the path '{badPool}/secret' is denied.");
        return PluginCatalog.Discover(list, host, logger);
    }

    [Fact]
    public async Task A_pool_whose_discovery_throws_fails_the_start_when_FailOnStartError()
    {
        using var bad = new TempPool();
        var logs = new ListLoggerProvider();
        var builder = Fixtures.NewHost(Config(("Vyra:Plugins:Pools:1", bad.Root), ("Vyra:Plugins:ById:math-kit:AutoStart", "true")), logs);
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();
        host.Services.GetRequiredService<PluginRuntimeRegistry>().Discoverer = (p, h, l) => FailOn(bad.Root, p, h, l);

        var error = await Assert.ThrowsAsync<VyraPluginStartException>(() => host.StartAsync());
        var failure = Assert.Single(error.Failures);
        Assert.Equal($"pool {bad.Root}", failure.Key);
        Assert.IsType<UnauthorizedAccessException>(failure.Value);
        Assert.All(host.Services.GetRequiredService<IPluginRuntimes>().Runtimes, r => Assert.False(r.IsRunning));
    }

    [Fact]
    public async Task A_pool_whose_discovery_throws_is_logged_and_the_other_pools_serve_without_FailOnStartError()
    {
        using var bad = new TempPool();
        var logs = new ListLoggerProvider();
        var builder = Fixtures.NewHost(Config(
            ("Vyra:Plugins:Pools:1", bad.Root),
            ("Vyra:Plugins:FailOnStartError", "false"),
            ("Vyra:Plugins:ById:math-kit:AutoStart", "true")), logs);
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();
        var registry = host.Services.GetRequiredService<PluginRuntimeRegistry>();
        registry.Discoverer = (p, h, l) => FailOn(bad.Root, p, h, l);

        await host.StartAsync();
        Assert.True(registry.Get("math-kit").IsRunning);
        Assert.Contains(registry.PoolProblems, p => p.Contains(bad.Root) && p.Contains("cannot be read"));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains(bad.Root) && e.Exception is UnauthorizedAccessException);
        await host.StopAsync();
    }

    private static TempPool DuplicatePool(int answer) => new TempPool().Add("dup", """
        { "id": "dup", "version": "1.0.0", "exports": [ { "name": "which", "args": [], "returns": "i32" } ] }
        """, $$"""(module (func (export "which") (result i32) (i32.const {{answer}})))""");

    [Fact]
    public async Task The_same_version_in_two_pools_runs_from_the_first_pool_listed_and_is_logged()
    {
        using var one = DuplicatePool(1);
        using var two = DuplicatePool(2);
        foreach (var (first, second, expected) in new[] { (one, two, 1), (two, one, 2), (one, two, 1) })
        {
            var logs = new ListLoggerProvider();
            var builder = Fixtures.NewHost(new Dictionary<string, string?> { ["Vyra:Plugins:Pools:0"] = first.Root, ["Vyra:Plugins:Pools:1"] = second.Root }, logs);
            builder.Services.AddVyraPlugins();
            using var host = builder.Build();
            await host.StartAsync();
            var runtime = await host.Services.GetRequiredService<IPluginRuntimes>().GetStartedAsync("dup");
            Assert.Equal(expected, Convert.ToInt32((await runtime.CallAsync("which"))["result"]));
            Assert.StartsWith(first.Root, Assert.IsType<WasmRuntime>(runtime).WasmPath);
            Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("more than one pool") && e.Message.Contains(second.Root));
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Health_checks_report_each_plugin_and_the_whole()
    {
        using var pool = new TempPool().AddFailingInit();
        var builder = Fixtures.NewHost(Config(
            ("Vyra:Plugins:Pools:1", pool.Root),
            ("Vyra:Plugins:FailOnStartError", "false"),
            ("Vyra:Plugins:ById:boom:AutoStart", "true"),
            ("Vyra:Plugins:ById:math-kit:AutoStart", "true")));
        builder.Services.AddVyraPlugins();
        builder.Services.AddHealthChecks()
            .AddVyraPluginHealthChecks()
            .AddVyraPluginHealthCheck("math-kit")
            .AddVyraPluginHealthCheck("counter-widget")
            .AddVyraPluginHealthCheck("boom")
            .AddVyraPluginHealthCheck("no-such-plugin");
        using var host = builder.Build();
        await host.StartAsync();
        var health = host.Services.GetRequiredService<HealthCheckService>();

        var report = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, report.Entries["vyra-plugin:math-kit"].Status);
        Assert.Equal(HealthStatus.Healthy, report.Entries["vyra-plugin:counter-widget"].Status); // starts on first use
        Assert.Equal(HealthStatus.Unhealthy, report.Entries["vyra-plugin:boom"].Status);
        Assert.Contains("failed to start", report.Entries["vyra-plugin:boom"].Description);
        Assert.Equal(HealthStatus.Unhealthy, report.Entries["vyra-plugin:no-such-plugin"].Status);
        var all = report.Entries["vyra-plugins"];
        Assert.Equal(HealthStatus.Unhealthy, all.Status);
        Assert.Equal("Unhealthy", all.Data["boom"]);
        Assert.Equal("Healthy", all.Data["math-kit"]);
        Assert.Equal("Degraded", all.Data["host-calc"]); // invalid without its host functions, but nobody asked for it

        host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        report = await health.CheckHealthAsync(r => r.Name == "vyra-plugin:math-kit");
        Assert.Equal(HealthStatus.Unhealthy, report.Status); // stopping
        await host.StopAsync();
    }

    [Fact]
    public async Task Once_the_host_stops_no_plugin_is_started_again()
    {
        var builder = Fixtures.NewHost(Config(("Vyra:Plugins:ById:math-kit:AutoStart", "true")));
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();
        await host.StartAsync();
        var plugins = host.Services.GetRequiredService<IPluginRuntimes>();
        var math = plugins.Get("math-kit");
        Assert.True(math.IsRunning);

        host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        Assert.True(plugins.IsShuttingDown);
        var late = await plugins.GetStartedAsync("counter-widget");
        Assert.False(late.IsRunning);
        var refused = await Assert.ThrowsAsync<PluginCallException>(async () => await late.CallAsync("get_count"));
        Assert.Equal(PluginErrorKind.NotStarted, refused.Kind);
        await host.StopAsync();
        Assert.False(math.IsRunning);
    }
}
