using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Vyra.Sdk;
using Vyra.Sdk.Hosting;
using Xunit;

namespace Vyra.Sdk.Hosting.Tests;

/// <summary>
/// <c>service_exports</c> end to end through dependency injection: a pool plugin that is nothing but a
/// <c>manifest.yaml</c> (service-export mode), its services registered with <c>AddService</c> or as keyed services.
/// </summary>
public sealed class ServiceExportHostingTests : IDisposable
{
    private const string Manifest = """
        id: weather-svc
        name: Weather Service
        version: 1.0.0
        scope:
          type: MODULE
          target: dashboard
        entry_points:
          backend:
            type: wasm
            service_exports:
              - name: forecast          # only the city reaches the service; the unit is fixed here
                service: weather
                method: forecast
                passthrough: ["city"]
                kwargs:
                  unit: celsius
              - name: raw
                service: weather
                method: echo
                passthrough: "*"
        """;

    private readonly string _pool = Path.Combine(Path.GetTempPath(), "vyra-hosting-svc-" + Guid.NewGuid().ToString("N"));

    public ServiceExportHostingTests()
    {
        var folder = Path.Combine(_pool, "weather-svc", "1.0.0");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "manifest.yaml"), Manifest);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_pool, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    /// <summary>A dependency the service gets from the container.</summary>
    public sealed class Thermometer
    {
        public int Celsius { get; set; } = 21;
    }

    /// <summary>A service written the way an application would: a class with dependencies, dispatching by method name.</summary>
    public sealed class WeatherService(Thermometer thermometer) : IVyraService
    {
        public IReadOnlyCollection<string> Methods => ["forecast", "echo"];

        public ValueTask<object?> InvokeAsync(string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) => method switch
        {
            "forecast" => ValueTask.FromResult<object?>(new Dictionary<string, object?>
            {
                ["city"] = arguments.GetValueOrDefault("city"),
                ["temperature"] = thermometer.Celsius,
                ["unit"] = ((JsonElement)arguments["unit"]!).GetString(),
                ["keys"] = string.Join(",", arguments.Keys.Order(StringComparer.Ordinal)),
            }),
            "echo" => ValueTask.FromResult<object?>(string.Join(",", arguments.Keys.Order(StringComparer.Ordinal))),
            _ => throw new InvalidOperationException($"no method {method}"),
        };
    }

    private IHost Build(Action<VyraPluginsBuilder> services, params (string Key, string Value)[] more)
    {
        var config = new Dictionary<string, string?>
        {
            ["Vyra:Plugins:Pools:0"] = _pool,
            ["Vyra:Plugins:ById:weather-svc:AutoStart"] = "true",
        };
        foreach (var (key, value) in more) config[key] = value;
        var builder = Fixtures.NewHost(config);
        services(builder.Services.AddVyraPlugins());
        return builder.Build();
    }

    [Fact]
    public async Task A_plugin_of_only_a_manifest_is_served_by_a_container_service_with_passthrough_and_kwargs()
    {
        using var host = Build(b =>
        {
            b.Services.AddSingleton(new Thermometer { Celsius = 17 });
            b.AddService<WeatherService>("weather");
        });
        await host.StartAsync();
        var runtime = host.Services.GetRequiredService<IPluginRuntimes>().Get("weather-svc");
        Assert.True(runtime.IsRunning);
        Assert.Equal("service", runtime.Backend);
        Assert.Equal("service", (await runtime.CallAsync("ping"))["runtime"]);

        var data = new Dictionary<string, object?> { ["city"] = "Bergen", ["unit"] = "kelvin", ["token"] = "secret" };
        var forecast = Assert.IsType<Dictionary<string, object?>>((await runtime.CallAsync("forecast", data))["result"]);
        Assert.Equal("Bergen", forecast["city"]);
        Assert.Equal(17, forecast["temperature"]);
        Assert.Equal("celsius", forecast["unit"]); // the manifest's kwargs win over the caller's key
        Assert.Equal("city,unit", forecast["keys"]); // the list passthrough dropped "token"
        Assert.Equal("city,token,unit", (await runtime.CallAsync("raw", data))["result"]); // "*" passes every key

        await host.StopAsync();
        Assert.False(runtime.IsRunning);
    }

    [Fact]
    public async Task Delegate_services_and_plain_keyed_registrations_serve_too()
    {
        using (var host = Build(b => b.AddService("weather", (sp, s) => s
            .Add("forecast", args => $"sunny in {args["city"]}")
            .Add("echo", args => args.Count))))
        {
            await host.StartAsync();
            var runtime = host.Services.GetRequiredService<IPluginRuntimes>().Get("weather-svc");
            Assert.Equal("sunny in Oslo", (await runtime.CallAsync("forecast", new Dictionary<string, object?> { ["city"] = "Oslo" }))["result"]);
            await host.StopAsync();
        }
        using (var host = Build(b =>
        {
            b.Services.AddSingleton<Thermometer>();
            b.Services.AddKeyedSingleton<IVyraService, WeatherService>("weather");
        }))
        {
            await host.StartAsync();
            var runtime = host.Services.GetRequiredService<IPluginRuntimes>().Get("weather-svc");
            Assert.Equal("", (await runtime.CallAsync("raw"))["result"]);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_missing_service_fails_the_host_start_naming_the_plugin_export_service_and_method()
    {
        using var host = Build(b => b.AddService("weather", (sp, s) => s.Add("echo", _ => null)));

        var error = await Assert.ThrowsAsync<VyraPluginStartException>(() => host.StartAsync());

        var failure = Assert.IsType<PluginLoadException>(error.Failures["weather-svc"]);
        Assert.Contains("[weather-svc] cannot serve its service exports", failure.Message);
        Assert.Contains("service export 'forecast' (service 'weather', method 'forecast'): service 'weather' has no method 'forecast' (it has: echo)", failure.Message);
    }

    [Fact]
    public async Task No_service_registered_at_all_is_named_too()
    {
        using var host = Build(_ => { });
        var error = await Assert.ThrowsAsync<VyraPluginStartException>(() => host.StartAsync());
        Assert.Contains("no service 'weather' is registered", error.Failures["weather-svc"].Message);
    }

    [Fact]
    public async Task A_service_that_throws_fails_only_that_call()
    {
        using var host = Build(b => b.AddService("weather", (sp, s) => s
            .Add("forecast", _ => throw new TimeoutException("the station did not answer"))
            .Add("echo", _ => "fine")));
        await host.StartAsync();
        var runtime = host.Services.GetRequiredService<IPluginRuntimes>().Get("weather-svc");

        var error = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("forecast"));

        Assert.Equal(PluginErrorKind.HostFunction, error.Kind);
        Assert.Contains("service export 'forecast' (service 'weather', method 'forecast') failed: TimeoutException: the station did not answer", error.Message);
        Assert.Equal("fine", (await runtime.CallAsync("raw"))["result"]);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_configured_timeout_ends_a_slow_service_call()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var host = Build(
            b => b.AddService("weather", (sp, s) => s
                .Add("forecast", async (_, ct) =>
                {
                    using var registration = ct.Register(() => cancelled.TrySetResult());
                    await Task.Delay(Timeout.Infinite, ct);
                    return null;
                })
                .Add("echo", _ => null)),
            ("Vyra:Plugins:ById:weather-svc:TimeoutMs", "100"));
        await host.StartAsync();
        var runtime = host.Services.GetRequiredService<IPluginRuntimes>().Get("weather-svc");

        var error = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("forecast"));

        Assert.Equal(PluginErrorKind.Timeout, error.Kind);
        Assert.Contains("did not answer within 100 ms", error.Message);
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10)); // the service's token was cancelled, not just abandoned
        await host.StopAsync();
    }
}
