using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Vyra.Sdk;
using Vyra.Sdk.Hosting;
using Vyra.Sdk.Hosting.Tests.Plugins;
using Xunit;

namespace Vyra.Sdk.Hosting.Tests;

public sealed class HostingTests
{
    private static Dictionary<string, string?> SamplePoolConfig(params (string Key, string Value)[] more)
    {
        var config = new Dictionary<string, string?> { ["Vyra:Plugins:Pools:0"] = Fixtures.SamplePool };
        foreach (var (key, value) in more) config[key] = value;
        return config;
    }

    [Fact]
    public async Task Host_start_starts_the_asked_plugins_and_stop_stops_them()
    {
        var builder = Fixtures.NewHost(SamplePoolConfig(("Vyra:Plugins:ById:math-kit:AutoStart", "true")));
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();
        var plugins = host.Services.GetRequiredService<IPluginRuntimes>();
        Assert.Empty(plugins.Runtimes);

        await host.StartAsync();
        var math = Assert.Single(plugins.Runtimes);
        Assert.Equal("math-kit", math.PluginId);
        Assert.True(math.IsRunning);
        Assert.Equal("wasm", math.Backend);
        var result = await math.CallAsync("add_i64", new Dictionary<string, object?> { ["a"] = 40L, ["b"] = 2L });
        Assert.Equal(42L, Convert.ToInt64(result["result"]));
        Assert.False(plugins.TryGetExisting("counter-widget", out _)); // not asked for: not created

        await host.StopAsync();
        Assert.False(math.IsRunning);
    }

    [Fact]
    public async Task Plugins_not_started_with_the_host_start_on_demand_and_stop_with_it()
    {
        var builder = Fixtures.NewHost(SamplePoolConfig());
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();
        await host.StartAsync();
        var plugins = host.Services.GetRequiredService<IPluginRuntimes>();
        Assert.Empty(plugins.Runtimes);

        var counter = await plugins.GetStartedAsync("counter-widget");
        Assert.True(counter.IsRunning);
        Assert.Same(counter, plugins.Get("counter-widget"));
        Assert.Same(counter, await plugins.GetStartedAsync("COUNTER-WIDGET"));
        Assert.Throws<PluginLoadException>(() => plugins.Get("no-such-plugin"));
        Assert.False(plugins.IsKnown("no-such-plugin"));
        Assert.True(plugins.IsKnown("math-kit"));

        await host.StopAsync();
        Assert.False(counter.IsRunning);
    }

    [Fact]
    public async Task StartAll_starts_every_valid_plugin_and_skips_invalid_ones_with_a_warning()
    {
        using var pool = new TempPool().AddBrokenModule();
        var logs = new ListLoggerProvider();
        var builder = Fixtures.NewHost(SamplePoolConfig(("Vyra:Plugins:Pools:1", pool.Root), ("Vyra:Plugins:StartAll", "true")), logs);
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();

        await host.StartAsync(); // FailOnStartError is true, yet an invalid plugin nobody asked for by name does not fail the host
        var plugins = host.Services.GetRequiredService<IPluginRuntimes>();
        // host-calc imports host_add/host_lookup, which the default host functions lack: invalid, skipped.
        Assert.Equal(["counter-widget", "math-kit", "text-tools", "yaml-counter"], plugins.Runtimes.Select(r => r.PluginId).Order().ToArray());
        Assert.All(plugins.Runtimes, r => Assert.True(r.IsRunning));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("broken") && e.Message.Contains("not started"));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("host-calc"));
        await host.StopAsync();
        Assert.All(plugins.Runtimes, r => Assert.False(r.IsRunning));
    }

    [Fact]
    public async Task Options_are_bound_from_configuration_and_code_wins()
    {
        using var pool = new TempPool();
        var builder = Fixtures.NewHost(SamplePoolConfig(
            ("Vyra:Plugins:FailOnStartError", "false"),
            ("Vyra:Plugins:Defaults:TimeoutMs", "1500"),
            ("Vyra:Plugins:Defaults:MemoryMb", "8"),
            ("Vyra:Plugins:ById:math-kit:Fuel", "123456"),
            ("Vyra:Plugins:ById:math-kit:Instances", "3"),
            ("Vyra:Plugins:ById:math-kit:TimeoutMs", "0"),
            ("Vyra:Plugins:ById:text-tools:PreferStub", "true"),
            ("Vyra:Plugins:ById:counter-widget:TimeoutMs", "700")));
        builder.Services.AddVyraPlugins(o => o.AddPool(pool.Root).Configure("counter-widget", s => s.TimeoutMs = 900));
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptions<VyraPluginsOptions>>().Value;
        Assert.False(options.FailOnStartError);
        Assert.Equal([Fixtures.SamplePool, pool.Root], options.Pools);
        var registry = host.Services.GetRequiredService<IPluginRuntimes>(); // the public view of the pools the web sample uses
        Assert.Equal([Fixtures.SamplePool, pool.Root], registry.Pools);

        var math = registry.CreateContext("math-kit");
        Assert.Equal(Timeout.InfiniteTimeSpan, math.Options.Timeout);   // 0 disables the limit
        Assert.Equal(123456UL, math.Options.Fuel);
        Assert.Equal(3, math.Options.Instances);
        Assert.Equal(8L * 1024 * 1024, math.Options.MemoryLimitBytes); // from Defaults
        Assert.False(math.PreferStub);
        Assert.Equal(Fixtures.ModulePath("math-kit"), math.ModulePath);

        var counter = registry.CreateContext("counter-widget");
        Assert.Equal(TimeSpan.FromMilliseconds(900), counter.Options.Timeout); // code over configuration
        Assert.Equal(1, counter.Options.Instances);
        Assert.NotNull(counter.Options.LoggerFactory);

        await host.StartAsync();
        var text = await registry.GetStartedAsync("text-tools");
        Assert.Equal("stub", text.Backend);
        var pooled = await registry.GetStartedAsync("math-kit");
        Assert.Equal(3, pooled.Options.Instances);
        Assert.Equal(123456UL, pooled.Options.Fuel);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_generated_proxy_resolved_from_the_container_makes_real_calls_and_shares_its_runtime()
    {
        var builder = Fixtures.NewHost(SamplePoolConfig());
        builder.Services.AddVyraPlugins().AddPlugin<CounterWidgetPlugin>();
        using var host = builder.Build();
        await host.StartAsync();

        var counter = host.Services.GetRequiredService<ICounterWidgetPlugin>();
        Assert.Same(host.Services.GetRequiredService<CounterWidgetPlugin>(), counter);
        Assert.True(counter.Runtime.IsRunning);       // started by the host
        Assert.Equal("wasm", counter.Runtime.Backend);
        Assert.Equal(0, counter.GetCount());          // the manifest's initial state
        Assert.Equal(5, counter.Increment(5));
        Assert.Equal(12, await counter.IncrementAsync(7));

        // The id's runtime is the proxy's: untyped calls see the same state.
        var plugins = host.Services.GetRequiredService<IPluginRuntimes>();
        Assert.Same(counter.Runtime, plugins.Get("counter-widget"));
        var count = await plugins.Get("counter-widget").CallAsync("get_count");
        Assert.Equal(12, Convert.ToInt32(count["result"]));

        await host.StopAsync();
        Assert.False(counter.Runtime.IsRunning);
        var stopped = Assert.Throws<PluginCallException>(() => counter.GetCount());
        Assert.Equal(PluginErrorKind.NotStarted, stopped.Kind);
    }

    [Fact]
    public async Task A_proxy_factory_gets_the_configured_module_host_and_options()
    {
        var builder = Fixtures.NewHost(SamplePoolConfig(("Vyra:Plugins:ById:counter-widget:TimeoutMs", "750")));
        PluginFactoryContext? seen = null;
        builder.Services.AddVyraPlugins().AddPlugin(CounterWidgetPlugin.PluginId, c =>
        {
            seen = c;
            return CounterWidgetPlugin.Create(c.ModulePath, c.Host, new CounterWidgetState { Start = 10 }, c.Options, c.PreferStub);
        });
        using var host = builder.Build();
        await host.StartAsync();

        var counter = host.Services.GetRequiredService<CounterWidgetPlugin>();
        Assert.Equal(10, counter.GetCount());
        Assert.NotNull(seen);
        Assert.Equal(TimeSpan.FromMilliseconds(750), counter.Runtime.Options.Timeout);
        Assert.IsType<NullHostFunctions>(seen.Host);
        Assert.Same(host.Services.GetRequiredService<IPluginRuntimes>(), seen.Services.GetRequiredService<IPluginRuntimes>());
        await host.StopAsync();
        Assert.False(counter.Runtime.IsRunning);
    }

    [Fact]
    public async Task A_proxy_made_from_a_path_is_started_and_stopped_with_the_host()
    {
        var builder = Fixtures.NewHost(new Dictionary<string, string?>()); // no pool at all
        builder.Services.AddSingleton<IHostFunctions, CalcHost>();
        builder.Services.AddVyraPlugins()
            .AddPlugin(sp => HostCalcPlugin.Create(Fixtures.ModulePath("host-calc"), sp.GetService<IHostFunctions>()))
            .AddPlugin(sp => MathKitPlugin.Create(Fixtures.ModulePath("math-kit")));
        using var host = builder.Build();
        await host.StartAsync();

        var calc = host.Services.GetRequiredService<IHostCalcPlugin>();
        var math = host.Services.GetRequiredService<MathKitPlugin>();
        Assert.True(calc.Runtime.IsRunning);
        Assert.True(math.Runtime.IsRunning);
        Assert.Equal(42, calc.Add(40, 2));
        Assert.Equal(1, ((CalcHost)host.Services.GetRequiredService<IHostFunctions>()).Adds);
        Assert.Equal((3, 2), math.Divmod(17, 5));
        var plugins = host.Services.GetRequiredService<IPluginRuntimes>();
        Assert.Same(math.Runtime, plugins.Get("math-kit")); // adopted under its id

        await host.StopAsync();
        Assert.False(calc.Runtime.IsRunning);
        Assert.False(math.Runtime.IsRunning);
    }

    [Fact]
    public async Task Host_functions_come_from_the_container_when_registered()
    {
        var builder = Fixtures.NewHost(SamplePoolConfig(("Vyra:Plugins:ById:host-calc:AutoStart", "true")));
        builder.Services.AddSingleton<IHostFunctions, CalcHost>();
        builder.Services.AddVyraPlugins().AddPlugin<HostCalcPlugin>();
        using var host = builder.Build();
        await host.StartAsync();

        var plugins = host.Services.GetRequiredService<IPluginRuntimes>();
        Assert.IsType<CalcHost>(plugins.Host);
        Assert.True(plugins.Catalog.Find("host-calc")?.IsValid); // the imports count as provided
        var calc = host.Services.GetRequiredService<HostCalcPlugin>();
        Assert.Equal("value of x", await calc.LookupAsync("x"));
        Assert.Equal(5050, calc.SumTo(100));
        await host.StopAsync();
    }

    [Fact]
    public async Task Without_host_functions_in_the_container_plugins_get_NullHostFunctions()
    {
        var builder = Fixtures.NewHost(SamplePoolConfig());
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();
        var plugins = host.Services.GetRequiredService<IPluginRuntimes>();
        Assert.IsType<NullHostFunctions>(plugins.Host);
        var hostCalc = Assert.Single(plugins.Catalog.Entries, e => e.Id == "host-calc");
        Assert.False(hostCalc.IsValid);
        Assert.Same(plugins.Catalog, host.Services.GetRequiredService<PluginCatalog>());
        var error = Assert.Throws<PluginLoadException>(() => plugins.Get("host-calc"));
        Assert.Contains("no valid version", error.Message);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task FailOnStartError_true_fails_the_host_start_and_stops_what_was_started()
    {
        using var pool = new TempPool().AddFailingInit();
        var logs = new ListLoggerProvider();
        var builder = Fixtures.NewHost(SamplePoolConfig(
            ("Vyra:Plugins:Pools:1", pool.Root),
            ("Vyra:Plugins:ById:boom:AutoStart", "true"),
            ("Vyra:Plugins:ById:math-kit:AutoStart", "true")), logs);
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<VyraPluginStartException>(() => host.StartAsync());
        Assert.Equal(["boom"], error.Failures.Keys.ToArray());
        Assert.Contains("boom", error.Message);
        var plugins = host.Services.GetRequiredService<IPluginRuntimes>();
        Assert.All(plugins.Runtimes, r => Assert.False(r.IsRunning)); // math-kit was stopped again
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("Plugin boom failed to start") && e.Exception is not null);
    }

    [Fact]
    public async Task FailOnStartError_false_logs_and_leaves_the_plugin_stopped()
    {
        using var pool = new TempPool().AddFailingInit();
        var logs = new ListLoggerProvider();
        var builder = Fixtures.NewHost(SamplePoolConfig(
            ("Vyra:Plugins:Pools:1", pool.Root),
            ("Vyra:Plugins:FailOnStartError", "false"),
            ("Vyra:Plugins:ById:boom:AutoStart", "true"),
            ("Vyra:Plugins:ById:missing:AutoStart", "true"),
            ("Vyra:Plugins:ById:math-kit:AutoStart", "true")), logs);
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();

        await host.StartAsync();
        var plugins = host.Services.GetRequiredService<IPluginRuntimes>();
        Assert.True(plugins.Get("math-kit").IsRunning);
        Assert.False(plugins.Get("boom").IsRunning);
        Assert.False(plugins.TryGetExisting("missing", out _));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("Plugin boom failed to start"));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("Plugin missing failed to start") && e.Message.Contains("no plugin 'missing'"));
        await host.StopAsync();
        Assert.False(plugins.Get("math-kit").IsRunning);
    }

    [Fact]
    public async Task A_typed_proxy_registered_with_an_initial_state_runs_init_with_it()
    {
        // counter-widget's folder holds an upstream manifest.yaml (no initial_state): its state type holds init's arguments.
        var builder = Fixtures.NewHost(SamplePoolConfig());
        builder.Services.AddVyraPlugins().AddPlugin<CounterWidgetPlugin>(new CounterWidgetState { Start = 40 });
        using var host = builder.Build();
        await host.StartAsync();

        var counter = host.Services.GetRequiredService<ICounterWidgetPlugin>();
        Assert.Equal(40, counter.GetCount());
        Assert.Equal(42, counter.Increment(2));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_typed_proxy_that_cannot_be_created_fails_the_start_with_its_id()
    {
        var builder = Fixtures.NewHost(new Dictionary<string, string?>()); // no pool: the catalog has no counter-widget
        builder.Services.AddVyraPlugins().AddPlugin<CounterWidgetPlugin>();
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<VyraPluginStartException>(() => host.StartAsync());
        var failure = Assert.Single(error.Failures);
        Assert.Equal("counter-widget", failure.Key);
        Assert.IsType<PluginLoadException>(failure.Value);
    }

    [Fact]
    public void Registration_needs_no_reflection_and_adds_the_plugin_interface()
    {
        // Only IPluginProxy types can be registered (a compile-time check); the proxy's own interface resolves to it.
        var services = new ServiceCollection();
        services.AddVyraPlugins().AddPlugin<CounterWidgetPlugin>();
        Assert.Contains(services, d => d.ServiceType == typeof(ICounterWidgetPlugin));
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IPluginProxy));
        services.AddVyraPlugins(); // twice is harmless
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
        Assert.Single(services, d => d.ServiceType == typeof(PluginRuntimeRegistry));
    }

    [Fact]
    public async Task Works_without_a_generic_host()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddVyraPlugins(o => o.AddPool(Fixtures.SamplePool).Start("math-kit"));
        await using var provider = services.BuildServiceProvider();
        var registry = provider.GetRequiredService<PluginRuntimeRegistry>();
        await registry.StartConfiguredAsync();
        Assert.True(registry.Get("math-kit").IsRunning);
        var runtime = registry.Get("math-kit");
        await provider.DisposeAsync();
        Assert.False(runtime.IsRunning);
    }
}
