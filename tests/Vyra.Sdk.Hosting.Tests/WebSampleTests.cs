using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Vyra.Sdk.Hosting;
using Vyra.Samples.Web;
using Xunit;

namespace Vyra.Sdk.Hosting.Tests;

/// <summary>The web sample on real Kestrel, on a loopback port the system picks, with the sample pool plus a spinning plugin.</summary>
public sealed class WebSampleFixture : IAsyncLifetime
{
    private readonly TempPool _pool = new TempPool().AddSpinner(timeoutMs: 150);

    public WebApplication App { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = WebSample.Build(["--urls", "http://127.0.0.1:0", $"--Vyra:Plugins:Pools:1={_pool.Root}"]);
        await App.StartAsync();
        var address = App.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        Client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        _pool.Dispose();
    }
}

public sealed class WebSampleTests(WebSampleFixture web) : IClassFixture<WebSampleFixture>
{
    private HttpClient Client => web.Client;

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, string? json)
    {
        // No body is an empty body, still typed JSON: every POST must say application/json.
        using var content = new StringContent(json ?? "", Encoding.UTF8, "application/json");
        using var response = await Client.PostAsync(path, content);
        Assert.Equal(response.IsSuccessStatusCode ? "application/json" : "application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, body);
    }

    [Fact]
    public void Listens_on_loopback_on_a_port_of_its_own()
    {
        Assert.Equal("127.0.0.1", Client.BaseAddress!.Host);
        Assert.NotEqual(0, Client.BaseAddress.Port);
    }

    [Fact]
    public async Task A_call_returns_the_result_json()
    {
        var (status, body) = await PostAsync("/plugins/math-kit/divmod", """{"a": 17, "b": 5}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""{"result":[3,2]}""", body.GetRawText());

        (status, body) = await PostAsync("/plugins/math-kit/hypot", """{"a": 3, "b": 4.0}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5.0, body.GetProperty("result").GetDouble());

        (status, body) = await PostAsync("/plugins/text-tools/upper", """{"text": "héllo"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("HéLLO", body.GetProperty("result").GetString());

        (status, body) = await PostAsync("/plugins/text-tools/describe", """{"doc": {"a":[1,2]}}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(11, body.GetProperty("result").GetProperty("length").GetInt32()); // the JSON text as sent: {"a":[1,2]}
    }

    [Fact]
    public async Task Strings_in_the_body_are_coerced_like_VYRA_does()
    {
        var (status, body) = await PostAsync("/plugins/math-kit/add_i64", """{"a": "1099511627776", "b": 1}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1099511627777L, body.GetProperty("result").GetInt64());
    }

    [Fact]
    public async Task The_host_functions_registered_by_the_app_reach_the_plugin()
    {
        var (status, body) = await PostAsync("/plugins/host-calc/lookup", """{"key": "greeting"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("hello from the web host", body.GetProperty("result").GetString());
    }

    [Fact]
    public async Task Ping_needs_no_body()
    {
        var (status, body) = await PostAsync("/plugins/counter-widget/ping", null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ok", body.GetProperty("status").GetString());
        Assert.Equal("wasm", body.GetProperty("runtime").GetString());
    }

    [Fact]
    public async Task Unknown_plugin_is_404()
    {
        var (status, body) = await PostAsync("/plugins/no-such-plugin/add", "{}");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("UnknownPlugin", body.GetProperty("kind").GetString());
        Assert.Contains("no-such-plugin", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Unknown_function_is_404()
    {
        var (status, body) = await PostAsync("/plugins/math-kit/no_such_function", "{}");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("UnknownFunction", body.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Bad_argument_is_422()
    {
        var (status, body) = await PostAsync("/plugins/math-kit/divmod", """{"a": "seventeen", "b": 5}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("InvalidArgument", body.GetProperty("kind").GetString());
        Assert.Contains("'a'", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_trap_is_500_with_its_kind()
    {
        var (status, body) = await PostAsync("/plugins/math-kit/divmod", """{"a": 1, "b": 0}""");
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal("Trap", body.GetProperty("kind").GetString());
        Assert.Contains("divide by zero", body.GetProperty("detail").GetString());

        // The plugin still serves calls afterwards.
        (status, _) = await PostAsync("/plugins/math-kit/divmod", """{"a": 9, "b": 3}""");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task A_timeout_is_504()
    {
        var (status, body) = await PostAsync("/plugins/spinner/spin", "{}");
        Assert.Equal(HttpStatusCode.GatewayTimeout, status);
        Assert.Equal("Timeout", body.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task A_body_that_is_not_a_json_object_is_400()
    {
        var (status, body) = await PostAsync("/plugins/math-kit/divmod", "[1, 2]");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("BadRequest", body.GetProperty("kind").GetString());
        (status, _) = await PostAsync("/plugins/math-kit/divmod", "{not json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task Get_plugins_lists_every_plugin_with_its_problems()
    {
        var list = await Client.GetFromJsonAsync<JsonElement>("/plugins");
        var byId = list.EnumerateArray().ToDictionary(e => e.GetProperty("id").GetString()!);
        Assert.Equal(["counter-widget", "host-calc", "math-kit", "spinner", "text-tools", "yaml-counter"], byId.Keys.Order().ToArray());
        foreach (var plugin in byId.Values)
        {
            Assert.Equal("1.0.0", plugin.GetProperty("version").GetString());
            Assert.True(plugin.GetProperty("valid").GetBoolean());
            Assert.Equal(0, plugin.GetProperty("problems").GetArrayLength());
            Assert.True(plugin.GetProperty("running").GetBoolean()); // appsettings.json: StartAll
        }
    }

    [Fact]
    public async Task The_typed_proxy_endpoint_and_the_generic_endpoint_share_one_runtime()
    {
        using var response = await Client.PostAsync("/counter/increment?step=4", new StringContent("", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var typed = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("count").GetInt32();

        var (status, body) = await PostAsync("/plugins/counter-widget/get_count", "{}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(typed, body.GetProperty("result").GetInt32());
        var counter = await Client.GetFromJsonAsync<JsonElement>("/counter");
        Assert.Equal(typed, counter.GetProperty("count").GetInt32());
        Assert.Same(
            web.App.Services.GetRequiredService<Vyra.Samples.Web.Plugins.CounterWidgetPlugin>().Runtime,
            web.App.Services.GetRequiredService<IPluginRuntimes>().Get("counter-widget"));
    }
}

/// <summary>The sample's lifetime and its problems listing, each on an app of its own.</summary>
public sealed class WebSampleLifetimeTests
{
    [Fact]
    public async Task Stopping_the_app_stops_its_plugins_and_invalid_plugins_are_listed_with_problems()
    {
        using var pool = new TempPool().AddBrokenModule();
        await using var app = WebSample.Build(["--urls", "http://127.0.0.1:0", $"--Vyra:Plugins:Pools:1={pool.Root}"]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        using var client = new HttpClient { BaseAddress = new Uri(address) };

        var list = await client.GetFromJsonAsync<JsonElement>("/plugins");
        var broken = list.EnumerateArray().Single(e => e.GetProperty("id").GetString() == "broken");
        Assert.False(broken.GetProperty("valid").GetBoolean());
        Assert.False(broken.GetProperty("running").GetBoolean());
        Assert.NotEqual(0, broken.GetProperty("problems").GetArrayLength());

        using var call = await client.PostAsync("/plugins/broken/f", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, call.StatusCode);
        var body = await call.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Load", body.GetProperty("kind").GetString());

        var runtimes = app.Services.GetRequiredService<IPluginRuntimes>().Runtimes;
        Assert.NotEmpty(runtimes);
        Assert.All(runtimes, r => Assert.True(r.IsRunning));
        await app.StopAsync();
        Assert.All(runtimes, r => Assert.False(r.IsRunning));
    }

    [Fact]
    public async Task The_pools_come_from_configuration_and_a_missing_typed_plugin_fails_the_start()
    {
        using var empty = new TempPool();
        string[] args = ["--urls", "http://127.0.0.1:0", $"--Vyra:Plugins:Pools:0={empty.Root}"];

        // The sample registers counter-widget's typed proxy; with only an empty pool it cannot be made (FailOnStartError).
        await using (var failing = WebSample.Build(args))
        {
            var error = await Assert.ThrowsAsync<VyraPluginStartException>(() => failing.StartAsync());
            Assert.Equal(["counter-widget"], error.Failures.Keys.ToArray());
        }

        await using var app = WebSample.Build([.. args, "--Vyra:Plugins:FailOnStartError=false"]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        using var client = new HttpClient { BaseAddress = new Uri(address) };
        var list = await client.GetFromJsonAsync<JsonElement>("/plugins");
        Assert.Equal(0, list.GetArrayLength());
        using var call = await client.PostAsync("/plugins/math-kit/divmod", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, call.StatusCode);
        await app.StopAsync();
    }
}
