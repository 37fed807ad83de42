using System.Text.Json.Nodes;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Abi;

/// <summary>Strings, bytes and JSON across the sandbox wall (docs/abi.md), against the C sample plugin.</summary>
public class MemoryAbiTests : IAsyncLifetime
{
    private readonly RecordingHost _host = new();
    private PluginRuntime _text = null!;

    public async Task InitializeAsync()
    {
        _text = PluginRuntime.Create("text-tools", SamplePlugins.TextTools, _host);
        await _text.StartAsync();
    }

    public async Task DisposeAsync() => await _text.DisposeAsync();

    private async Task<object?> Call(string function, string arg, object? value) =>
        (await _text.CallAsync(function, SamplePlugins.Args((arg, value))))["result"];

    [Theory]
    [InlineData("")]
    [InlineData("plain ascii")]
    [InlineData("héllo wörld 😀 — 你好，世界")]
    [InlineData("nul\0inside")]
    public async Task Strings_round_trip_unchanged(string text) => Assert.Equal(text, await Call("echo", "text", text));

    [Fact]
    public async Task A_one_mebibyte_string_round_trips()
    {
        var text = string.Concat(Enumerable.Repeat("abcdefghijklmnopqrstuvwxyz012345", 32 * 1024));
        Assert.Equal(1 << 20, text.Length);
        Assert.Equal(text, await Call("echo", "text", text));
        Assert.Equal(text.ToUpperInvariant(), await Call("upper", "text", text));
    }

    [Fact]
    public async Task Upper_changes_ascii_only_so_multibyte_utf8_survives()
    {
        Assert.Equal("HéLLO 😀", await Call("upper", "text", "héllo 😀"));
    }

    [Fact]
    public async Task Bytes_with_zeros_arrive_intact()
    {
        Assert.Equal(0 + 255 + 0 + 1 + 0, await Call("byte_sum", "data", new byte[] { 0, 255, 0, 1, 0 }));
        Assert.Equal(6, await Call("byte_sum", "data", new ReadOnlyMemory<byte>([1, 2, 3])));
        Assert.Equal(6, await Call("byte_sum", "data", Convert.ToBase64String([1, 2, 3])));
    }

    [Fact]
    public async Task Json_arguments_are_serialized_and_json_results_parsed()
    {
        var nested = new Dictionary<string, object?> { ["a"] = new[] { 1, 2 }, ["b"] = new Dictionary<string, object?> { ["c"] = null } };
        var result = Assert.IsAssignableFrom<JsonNode>(await Call("describe", "doc", nested));
        Assert.Equal("""{"a":[1,2],"b":{"c":null}}""".Length, result["length"]!.GetValue<int>());
        var fromNode = (JsonNode)(await Call("describe", "doc", JsonNode.Parse("[true]")))!;
        Assert.Equal(6, fromNode["length"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_non_string_for_a_string_argument_is_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await Call("echo", "text", 42));
        Assert.Equal(PluginErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("expected a string", ex.Reason);
        Assert.Equal("ok", await Call("echo", "text", "ok"));
    }

    [Fact]
    public async Task Host_log_reaches_the_hosts_logging()
    {
        Assert.Equal("Hello, Zoë!", await Call("greet", "name", "Zoë"));
        Assert.Contains(_host.Logs, l => l.Message == "greet: Zoë");
    }

    [Fact]
    public async Task Host_emit_event_reaches_NotifyUi_with_plugin_id_and_payload()
    {
        Assert.Equal(5, await Call("shout", "text", "hey!!"));
        var (name, data) = Assert.Single(_host.Notifications, n => n.Event == "text.shout");
        Assert.Equal("text-tools", data["plugin_id"]);
        Assert.Equal("hey!!", data["payload"]);
    }

    [Fact]
    public async Task Events_matching_the_manifest_globs_reach_on_event_and_others_do_not()
    {
        await _text.OnEventAsync("text.changed", SamplePlugins.Args(("len", 3)));
        await _text.OnEventAsync("system.ping");
        await _text.OnEventAsync("other.thing");
        Assert.Equal(2, (await _text.CallAsync("event_count"))["result"]);
        Assert.Contains(_host.Logs, l => l.Message == "text.changed");
        Assert.DoesNotContain(_host.Logs, l => l.Message == "other.thing");
    }

    [Fact]
    public async Task Without_on_event_an_event_is_a_no_op()
    {
        await using var counter = PluginRuntime.Create("counter-widget", SamplePlugins.Counter);
        await counter.StartAsync();
        await counter.OnEventAsync("anything", SamplePlugins.Args(("x", 1)));
        Assert.True(counter.IsRunning);
    }
}
