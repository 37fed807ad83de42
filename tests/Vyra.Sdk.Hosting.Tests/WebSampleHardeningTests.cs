using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vyra.Sdk;
using Vyra.Samples.Web;
using Xunit;

namespace Vyra.Sdk.Hosting.Tests;

/// <summary>The web sample started on real Kestrel on a loopback port with extra arguments, its logs collected.</summary>
internal sealed class RunningSample : IAsyncDisposable
{
    private RunningSample(WebApplication app, HttpClient client, ListLoggerProvider logs)
    {
        App = app;
        Client = client;
        Logs = logs;
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public ListLoggerProvider Logs { get; }

    public static async Task<RunningSample> StartAsync(params string[] args)
    {
        var logs = new ListLoggerProvider();
        var app = WebSample.Build(["--urls", "http://127.0.0.1:0", .. args], b => b.Logging.AddProvider(logs));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new RunningSample(app, new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) }, logs);
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(string path, HttpContent content)
    {
        var response = await Client.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return (response.StatusCode, body, response);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

public sealed class WebSampleHardeningTests
{
    [Fact]
    public async Task Errors_are_problem_details_with_the_kind()
    {
        await using var web = await RunningSample.StartAsync();
        var (status, body, response) = await web.PostAsync("/plugins/math-kit/no_such_function", RunningSample.Json("{}"));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(404, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(body.GetProperty("type").GetString()));
        Assert.Equal("UnknownFunction", body.GetProperty("kind").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task A_post_that_is_not_json_is_415_and_runs_nothing()
    {
        await using var web = await RunningSample.StartAsync();
        var before = (await web.Client.GetFromJsonAsync<JsonElement>("/counter")).GetProperty("count").GetInt32();

        // What any web page can send cross-site without a preflight: text/plain, a form, or no body at all.
        foreach (var content in new HttpContent?[]
        {
            new StringContent("{\"step\": 5}", Encoding.UTF8, "text/plain"),
            new FormUrlEncodedContent([new("step", "5")]),
            null,
        })
        {
            using var response = await web.Client.PostAsync("/plugins/counter-widget/increment", content);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
            using var typed = await web.Client.PostAsync("/counter/increment?step=5", content);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, typed.StatusCode);
        }
        var after = (await web.Client.GetFromJsonAsync<JsonElement>("/counter")).GetProperty("count").GetInt32();
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Lifecycle_and_abi_exports_are_not_callable_over_http()
    {
        await using var web = await RunningSample.StartAsync();
        foreach (var function in new[] { "init", "on_event", "vyra_alloc", "vyra_free", "_initialize", "_start" })
        {
            var (status, body, _) = await web.PostAsync($"/plugins/counter-widget/{function}", RunningSample.Json("""{"start": 1000}"""));
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Equal("UnknownFunction", body.GetProperty("kind").GetString());
        }
        var (ok, count, _) = await web.PostAsync("/plugins/counter-widget/get_count", RunningSample.Json(""));
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.NotEqual(1000, count.GetProperty("result").GetInt32());
    }

    [Fact]
    public async Task Other_host_names_are_refused_and_no_cors_is_granted()
    {
        await using var web = await RunningSample.StartAsync();
        using (var rebinding = new HttpRequestMessage(HttpMethod.Get, "/plugins"))
        {
            rebinding.Headers.Host = "attacker.example";
            using var response = await web.Client.SendAsync(rebinding);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        using (var preflight = new HttpRequestMessage(HttpMethod.Options, "/plugins/counter-widget/increment"))
        {
            preflight.Headers.Add("Origin", "https://attacker.example");
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
            using var response = await web.Client.SendAsync(preflight);
            Assert.False(response.IsSuccessStatusCode);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }
        using (var crossSite = new HttpRequestMessage(HttpMethod.Get, "/plugins"))
        {
            crossSite.Headers.Add("Origin", "https://attacker.example");
            using var response = await web.Client.SendAsync(crossSite);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }
    }

    [Fact]
    public async Task Responses_carry_no_server_paths_and_a_missing_pool_is_not_a_plugin()
    {
        using var pool = new TempPool().AddBrokenModule();
        var missing = Path.Combine(Path.GetTempPath(), "vyra-no-such-pool-" + Guid.NewGuid().ToString("N"));
        await using var web = await RunningSample.StartAsync($"--Vyra:Plugins:Pools:1={pool.Root}", $"--Vyra:Plugins:Pools:2={missing}");

        var listing = await web.Client.GetStringAsync("/plugins");
        Assert.DoesNotContain(pool.Root, listing);
        Assert.DoesNotContain(AppContext.BaseDirectory.TrimEnd('/'), listing);
        var list = JsonDocument.Parse(listing).RootElement;
        var ids = list.EnumerateArray().Select(e => e.GetProperty("id").GetString()).ToList();
        Assert.DoesNotContain(Path.GetFileName(missing), ids);
        var broken = list.EnumerateArray().Single(e => e.GetProperty("id").GetString() == "broken");
        Assert.Contains(broken.GetProperty("problems").EnumerateArray(), p => p.GetString()!.Contains("<pool>/broken/1.0.0/logic.wat"));

        var (status, body, _) = await web.PostAsync("/plugins/broken/f", RunningSample.Json("{}"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Load", body.GetProperty("kind").GetString());
        Assert.DoesNotContain(pool.Root, body.GetRawText());

        (status, body, _) = await web.PostAsync($"/plugins/{Path.GetFileName(missing)}/f", RunningSample.Json("{}"));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("UnknownPlugin", body.GetProperty("kind").GetString());

        // The pool problem is the health check's business: degraded, and the response says no more than that.
        using var health = await web.Client.GetAsync("/health");
        Assert.Equal("Degraded", await health.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_quiet_413()
    {
        await using var web = await RunningSample.StartAsync("--Vyra:Web:MaxRequestBodyBytes=4096");
        var big = "{\"text\": \"" + new string('x', 64 * 1024) + "\"}";

        // Expect: 100-continue lets the server refuse before the body is sent, as a careful client would.
        using (var declared = new HttpRequestMessage(HttpMethod.Post, "/plugins/text-tools/upper") { Content = RunningSample.Json(big) })
        {
            declared.Headers.ExpectContinue = true;
            using var refused = await web.Client.SendAsync(declared);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
            Assert.True(refused.Headers.ConnectionClose); // the unread body is not drained: the connection is closed
            var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("PayloadTooLarge", body.GetProperty("kind").GetString());
        }

        // Without a Content-Length the limit is met while reading: still a 413, still no error in the log.
        using var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big[..8192])));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/plugins/text-tools/upper") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var response = await web.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);

        var (ok, _, _) = await web.PostAsync("/plugins/text-tools/upper", RunningSample.Json("""{"text": "small"}"""));
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.DoesNotContain(web.Logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task An_argument_too_big_for_the_plugins_memory_is_413()
    {
        await using var web = await RunningSample.StartAsync("--Vyra:Web:MaxRequestBodyBytes=8388608", "--Vyra:Plugins:ById:text-tools:MemoryMb=1");
        var (status, body, _) = await web.PostAsync("/plugins/text-tools/upper", RunningSample.Json("{\"text\": \"" + new string('x', 3 * 1024 * 1024) + "\"}"));
        Assert.True(status == HttpStatusCode.RequestEntityTooLarge, body.GetRawText());
        Assert.Contains("argument 'text'", body.GetProperty("detail").GetString());
        var (ok, _, _) = await web.PostAsync("/plugins/text-tools/upper", RunningSample.Json("""{"text": "small"}"""));
        Assert.Equal(HttpStatusCode.OK, ok);
    }

    [Fact]
    public void Call_failures_map_to_http_statuses()
    {
        Assert.Equal(503, WebSample.StatusFor(PluginErrorKind.Overloaded));
        Assert.Equal(504, WebSample.StatusFor(PluginErrorKind.Timeout));
        Assert.Equal(503, WebSample.StatusFor(PluginErrorKind.NotStarted));
        Assert.Equal(429, WebSample.StatusFor(PluginErrorKind.Blocked));
        Assert.Equal(403, WebSample.StatusFor(PluginErrorKind.PermissionDenied));
        Assert.Equal(500, WebSample.StatusFor(PluginErrorKind.Trap));
        Assert.Equal(413, WebSample.StatusFor(new PluginCallException("p", "f", "argument 'text': vyra_alloc(9) failed (returned 0)", PluginErrorKind.Abi)));
        Assert.Equal(500, WebSample.StatusFor(new PluginCallException("p", "f", "result of 'f': pointer 9 is outside guest memory", PluginErrorKind.Abi)));
    }

    [Fact]
    public async Task Health_is_served_and_follows_the_plugins()
    {
        await using var web = await RunningSample.StartAsync();
        using var health = await web.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
    }
}

/// <summary>A stand-in for a plugin proxy whose every call fails with one kind (as a busy kernel would answer).</summary>
public class FailingProxy : System.Reflection.DispatchProxy
{
    public PluginErrorKind Kind { get; set; }

    protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args) =>
        throw new PluginCallException("counter-widget", targetMethod?.Name ?? "?", "the wait queue is full", Kind);
}

public sealed class WebSampleOverloadTests
{
    [Fact]
    public async Task An_overloaded_plugin_is_503_with_retry_after()
    {
        var logs = new ListLoggerProvider();
        var fake = System.Reflection.DispatchProxy.Create<Vyra.Samples.Web.Plugins.ICounterWidgetPlugin, FailingProxy>();
        ((FailingProxy)(object)fake).Kind = PluginErrorKind.Overloaded;
        await using var app = WebSample.Build(["--urls", "http://127.0.0.1:0", "--Vyra:Web:RetryAfterSeconds=7"], b =>
        {
            b.Logging.AddProvider(logs);
            b.Services.AddSingleton(fake);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        using var client = new HttpClient { BaseAddress = new Uri(address) };

        using var response = await client.GetAsync("/counter");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("7", response.Headers.GetValues("Retry-After").Single());
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Overloaded", body.GetProperty("kind").GetString());
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
        await app.StopAsync();
    }
}
