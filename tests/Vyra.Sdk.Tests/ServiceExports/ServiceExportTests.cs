using System.Text.Json;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.ServiceExports;

/// <summary>
/// <c>service_exports</c> (VYRA §5) in the kernel: a declared name served by a host service beside the module's
/// exports, and a plugin with no module at all (service-export mode).
/// </summary>
public class ServiceExportTests
{
    private const string AddWat = """
        (module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
        """;

    /// <summary>A metadata.json with <c>add</c> as a wasm export and the given service exports.</summary>
    private static string Manifest(string serviceExports, string limits = "") => $$"""
        {
          "id": "svc",
          "exports": [{ "name": "add", "args": [{ "name": "a", "type": "i32" }, { "name": "b", "type": "i32" }], "returns": "i32" }],
          "entry_points": { "backend": { {{limits}} "service_exports": [ {{serviceExports}} ] } }
        }
        """;

    private const string Forecast = """{ "name": "forecast", "service": "weather", "method": "forecast", "passthrough": ["city"], "kwargs": { "unit": "celsius", "days": 3 } }""";

    /// <summary>A service that records what it was given and answers with a fixed value.</summary>
    private sealed class Recording : IVyraService
    {
        public List<(string Method, IReadOnlyDictionary<string, object?> Arguments)> Calls { get; } = [];

        public IReadOnlyCollection<string> Methods => ["forecast", "echo"];

        public ValueTask<object?> InvokeAsync(string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken)
        {
            lock (Calls) Calls.Add((method, arguments));
            return ValueTask.FromResult<object?>(method == "forecast" ? "sunny" : arguments.Count);
        }
    }

    private static PluginRuntimeOptions With(IVyraService service, TimeSpan? timeout = null) =>
        new() { ServiceExports = new ServiceExportResolver().Add("weather", service), Timeout = timeout };

    [Fact]
    public async Task A_service_export_answers_beside_the_wasm_exports_with_passthrough_and_kwargs()
    {
        using var plugin = TempPlugin.FromWat(AddWat, Manifest(Forecast));
        var service = new Recording();
        await using var runtime = PluginRuntime.Create("svc", plugin.ModulePath, options: With(service));
        Assert.IsType<WasmRuntime>(runtime);
        await runtime.StartAsync();

        var result = await runtime.CallAsync("forecast", new Dictionary<string, object?> { ["city"] = "Oslo", ["secret"] = "x", ["unit"] = "fahrenheit" });

        Assert.Equal("sunny", result["result"]);
        var (method, arguments) = Assert.Single(service.Calls);
        Assert.Equal("forecast", method);
        Assert.Equal(["city", "days", "unit"], arguments.Keys.Order());
        Assert.Equal("Oslo", arguments["city"]);
        // kwargs are fixed by the manifest and win over the caller's key of the same name; they arrive as JSON values.
        Assert.Equal("celsius", Assert.IsType<JsonElement>(arguments["unit"]).GetString());
        Assert.Equal(3, Assert.IsType<JsonElement>(arguments["days"]).GetInt32());
        Assert.Equal(5, (await runtime.CallAsync("add", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 }))["result"]);
        Assert.Equal("wasm", (await runtime.CallAsync("ping"))["runtime"]);
    }

    [Fact]
    public async Task Passthrough_star_passes_every_key_and_no_passthrough_passes_none()
    {
        const string exports = """
            { "name": "all", "service": "weather", "method": "echo", "passthrough": "*" },
            { "name": "none", "service": "weather", "method": "echo" }
            """;
        using var plugin = TempPlugin.FromWat(AddWat, Manifest(exports));
        var service = new Recording();
        await using var runtime = PluginRuntime.Create("svc", plugin.ModulePath, options: With(service));
        await runtime.StartAsync();
        var data = new Dictionary<string, object?> { ["a"] = 1, ["b"] = "two", ["c"] = null };

        Assert.Equal(3, (await runtime.CallAsync("all", data))["result"]);
        Assert.Equal(0, (await runtime.CallAsync("none", data))["result"]);
        Assert.Equal(["a", "b", "c"], service.Calls[0].Arguments.Keys.Order());
        Assert.Empty(service.Calls[1].Arguments);
    }

    [Fact]
    public async Task A_missing_service_or_method_fails_the_start_naming_every_export()
    {
        const string exports = """
            { "name": "forecast", "service": "weather", "method": "forecast" },
            { "name": "radar", "service": "weather", "method": "radar" },
            { "name": "traffic", "service": "roads", "method": "jams" }
            """;
        using var plugin = TempPlugin.FromWat(AddWat, Manifest(exports));
        await using var runtime = PluginRuntime.Create("svc", plugin.ModulePath, options: With(new Recording()));

        var error = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());

        Assert.Contains("[svc]", error.Message);
        Assert.Contains("service export 'radar' (service 'weather', method 'radar'): service 'weather' has no method 'radar' (it has: echo, forecast)", error.Message);
        Assert.Contains("service export 'traffic' (service 'roads', method 'jams'): no service 'roads' is registered", error.Message);
        Assert.DoesNotContain("'forecast' (", error.Message);
        Assert.False(runtime.IsRunning);
    }

    [Fact]
    public async Task Without_a_resolver_a_module_still_runs_and_its_service_exports_say_why_they_do_not_answer()
    {
        using var plugin = TempPlugin.FromWat(AddWat, Manifest(Forecast));
        var log = new ListLoggerFactory();
        await using var runtime = PluginRuntime.Create("svc", plugin.ModulePath, options: new PluginRuntimeOptions { LoggerFactory = log });
        await runtime.StartAsync();

        var error = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("forecast"));

        Assert.Equal(PluginErrorKind.UnknownFunction, error.Kind);
        Assert.Contains("service export 'forecast' (service 'weather', method 'forecast') is not served: no service resolver is configured (PluginRuntimeOptions.ServiceExports", error.Message);
        Assert.Contains(log.Lines, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Warning && l.Message.Contains("are not served"));
        Assert.Equal(5, (await runtime.CallAsync("add", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 }))["result"]);
    }

    [Fact]
    public async Task Without_a_resolver_a_plugin_in_service_export_mode_does_not_start()
    {
        var directory = ServiceOnlyFolder();
        await using var runtime = PluginRuntime.Create("weather-svc", Path.Combine(directory, "logic.wasm"));
        Assert.IsType<ServiceExportRuntime>(runtime);
        var error = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains("service export 'forecast' (service 'weather', method 'forecast'): no service resolver is configured", error.Message);
    }

    [Theory]
    [InlineData("add", "also a wasm export of the module")]
    [InlineData("ping", "'ping' is built in")]
    public async Task A_name_served_by_the_module_or_built_in_is_refused_at_start(string name, string expected)
    {
        using var plugin = TempPlugin.FromWat(AddWat, Manifest($$"""{ "name": "{{name}}", "service": "weather", "method": "echo" }"""));
        await using var runtime = PluginRuntime.Create("svc", plugin.ModulePath, options: With(new Recording()));
        var error = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains(expected, error.Message);
        Assert.Contains($"service export '{name}'", error.Message);
    }

    [Fact]
    public async Task A_service_that_throws_fails_the_call_as_a_host_function_naming_plugin_export_service_and_method()
    {
        using var plugin = TempPlugin.FromWat(AddWat, Manifest(Forecast));
        var service = new VyraServiceMethods().Add("forecast", _ => throw new InvalidOperationException("the weather station is down"));
        await using var runtime = PluginRuntime.Create("svc", plugin.ModulePath, options: With(service));
        await runtime.StartAsync();

        var error = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("forecast"));

        Assert.Equal(PluginErrorKind.HostFunction, error.Kind);
        Assert.Equal("[svc] call 'forecast' failed: service export 'forecast' (service 'weather', method 'forecast') failed: InvalidOperationException: the weather station is down", error.Message);
        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Equal(5, (await runtime.CallAsync("add", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 }))["result"]);
    }

    [Fact]
    public async Task The_calls_deadline_cancels_the_services_token()
    {
        using var plugin = TempPlugin.FromWat(AddWat, Manifest(Forecast, limits: "\"runtime_limits\": { \"timeout_ms\": 200 },"));
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var service = new VyraServiceMethods().Add("forecast", async (_, ct) =>
        {
            // Observed where the service sees it: the token's cancellation ends the delay. (A registration on the token
            // was not reliable: the delay's own callback can run first and end this method, disposing the registration
            // before its callback ran.)
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                cancelled.TrySetResult();
                throw;
            }
            return null;
        });
        await using var runtime = PluginRuntime.Create("svc", plugin.ModulePath, options: With(service));
        await runtime.StartAsync();

        var error = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("forecast"));

        Assert.Equal(PluginErrorKind.Timeout, error.Kind);
        Assert.Contains("service export 'forecast' (service 'weather', method 'forecast') did not answer within 200 ms", error.Message);
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_service_that_ignores_its_token_still_ends_the_call_at_the_deadline()
    {
        using var plugin = TempPlugin.FromWat(AddWat, Manifest(Forecast));
        var never = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var service = new VyraServiceMethods().Add("forecast", (_, _) => new ValueTask<object?>(never.Task));
        await using var runtime = PluginRuntime.Create("svc", plugin.ModulePath, options: With(service, TimeSpan.FromMilliseconds(50)));
        await runtime.StartAsync();

        var error = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("forecast"));

        Assert.Equal(PluginErrorKind.Timeout, error.Kind);
        never.SetException(new InvalidOperationException("late failure, observed and logged"));
    }

    [Fact]
    public async Task The_callers_token_cancels_a_service_call()
    {
        using var plugin = TempPlugin.FromWat(AddWat, Manifest(Forecast));
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var service = new VyraServiceMethods().Add("forecast", async (_, ct) =>
        {
            entered.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return null;
        });
        await using var runtime = PluginRuntime.Create("svc", plugin.ModulePath, options: With(service));
        await runtime.StartAsync();
        using var cts = new CancellationTokenSource();

        var call = runtime.CallAsync("forecast", cancellationToken: cts.Token).AsTask();
        await entered.Task;
        cts.Cancel();

        Assert.Equal(PluginErrorKind.Cancelled, (await Assert.ThrowsAsync<PluginCallException>(() => call)).Kind);
    }

    private const string ServiceOnlyYaml = """
        id: weather-svc
        name: Weather Service
        version: 1.0.0
        scope:
          type: GLOBAL
          target: dashboard
        entry_points:
          backend:
            type: wasm
            service_exports:
              - name: forecast
                service: weather
                method: forecast
                passthrough: ["city"]
                kwargs:
                  unit: celsius
        """;

    private static string ServiceOnlyFolder(string yaml = ServiceOnlyYaml)
    {
        var directory = Path.Combine(Path.GetTempPath(), "vyra-tests", "svc-only-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, ManifestReader.YamlFileName), yaml);
        return directory;
    }

    [Fact]
    public async Task A_folder_with_only_service_exports_runs_in_service_export_mode()
    {
        var directory = ServiceOnlyFolder();
        var service = new Recording();
        await using var runtime = PluginRuntime.Create("weather-svc", Path.Combine(directory, "logic.wasm"), options: With(service));
        var served = Assert.IsType<ServiceExportRuntime>(runtime);
        Assert.Equal("service", runtime.Backend);
        await runtime.StartAsync();

        Assert.Equal("sunny", (await runtime.CallAsync("forecast", new Dictionary<string, object?> { ["city"] = "Rome", ["x"] = 1 }))["result"]);
        Assert.Equal(new Dictionary<string, object?> { ["status"] = "ok", ["plugin_id"] = "weather-svc", ["runtime"] = "service" }, await runtime.CallAsync("ping"));
        Assert.Equal(["city", "unit"], service.Calls.Single().Arguments.Keys.Order());
        var unknown = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("add"));
        Assert.Equal(PluginErrorKind.UnknownFunction, unknown.Kind);
        Assert.Contains("service-export mode", unknown.Message);
        await runtime.OnEventAsync("anything"); // no on_event: ignored, not an error
        Assert.Equal("weather-svc", served.Manifest!.Id);

        await runtime.StopAsync();
        Assert.Equal(PluginErrorKind.NotStarted, (await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("forecast"))).Kind);
    }

    [Fact]
    public async Task Stopping_ends_a_running_service_call()
    {
        var directory = ServiceOnlyFolder();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var service = new VyraServiceMethods().Add("forecast", async (_, ct) =>
        {
            entered.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return null;
        });
        await using var runtime = PluginRuntime.Create("weather-svc", Path.Combine(directory, "logic.wasm"), options: With(service));
        await runtime.StartAsync();

        var call = runtime.CallAsync("forecast").AsTask();
        await entered.Task;
        await runtime.StopAsync();

        Assert.Equal(PluginErrorKind.NotStarted, (await Assert.ThrowsAsync<PluginCallException>(() => call)).Kind);
    }

    [Fact]
    public void A_folder_with_neither_module_nor_service_exports_keeps_the_stub_fallback()
    {
        var directory = ServiceOnlyFolder("""
            id: weather-svc
            name: Weather Service
            version: 1.0.0
            scope: { type: GLOBAL, target: dashboard }
            entry_points:
              backend:
                type: wasm
            """);
        Assert.IsType<StubRuntime>(PluginRuntime.Create("weather-svc", Path.Combine(directory, "logic.wasm")));
        Assert.Throws<PluginLoadException>(() => PluginRuntime.Create("weather-svc", Path.Combine(directory, "logic.wasm"), options: new PluginRuntimeOptions { StubFallback = StubFallback.Refuse }));
    }

    [Fact]
    public async Task The_catalog_lists_a_service_only_plugin_as_valid_and_creates_its_runtime()
    {
        var pool = Path.Combine(Path.GetTempPath(), "vyra-tests", "svc-pool-" + Guid.NewGuid().ToString("N"));
        var directory = Path.Combine(pool, "weather-svc", "1.0.0");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, ManifestReader.YamlFileName), ServiceOnlyYaml);

        var catalog = PluginCatalog.Discover(pool);

        var entry = Assert.Single(catalog.Entries);
        Assert.True(entry.CanRun, string.Join("; ", entry.Problems));
        Assert.Null(entry.ModulePath);
        await using var runtime = catalog.CreateRuntime("weather-svc", options: With(new Recording()));
        Assert.IsType<ServiceExportRuntime>(runtime);
        await runtime.StartAsync();
        Assert.Equal("sunny", (await runtime.CallAsync("forecast"))["result"]);
    }
}
