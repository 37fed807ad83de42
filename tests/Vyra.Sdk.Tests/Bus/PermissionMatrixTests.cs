using System.Text.Json;
using Vyra.Sdk;
using Xunit;

namespace Vyra.Sdk.Tests.Bus;

/// <summary>
/// VYRA's permission rule (§4) end to end: real manifests (both shapes of <c>permissions.interfaces</c>) parsed by
/// <see cref="ManifestReader"/>, each guest operation through the <see cref="PluginFacade"/>, and a recording transport
/// that shows whether the operation reached it. The host here is module <c>home</c>, instance <c>h1</c>.
/// </summary>
public class PermissionMatrixTests
{
    private static readonly BusModule Home = new("home", "h1");
    private static readonly JsonElement Payload = JsonSerializer.SerializeToElement(new { value = 1 });

    /// <summary>The four guest operations and the transport each needs.</summary>
    private static readonly (string Operation, string Transport, string Handle)[] Operations =
    [
        ("publish", "publish", "publisher"),
        ("subscribe", "subscribe", "subscriber"),
        ("request", "client", "client"),
        ("serve", "server", "server"),
    ];

    public static TheoryData<string, string, string, string, bool> Matrix()
    {
        var rows = new TheoryData<string, string, string, string, bool>();
        foreach (var (operation, transport, _) in Operations)
        {
            var other = Operations.First(o => o.Transport != transport).Transport;
            // (case, interfaces as YAML list items or a marker, address, allowed)
            rows.Add("object, any instance", Object(transport, "sensors", null), operation, "sensors/t", true);
            rows.Add("object, any instance", Object(transport, "sensors", null), operation, "sensors/i1/t", true);
            rows.Add("object, other module", Object(transport, "sensors", null), operation, "other/t", false);
            rows.Add("object, one instance", Object(transport, "sensors", "i1"), operation, "sensors/i1/t", true);
            rows.Add("object, other instance", Object(transport, "sensors", "i1"), operation, "sensors/i2/t", false);
            rows.Add("object, one instance, module-wide address", Object(transport, "sensors", "i1"), operation, "sensors/t", false);
            rows.Add("object, other transport", Object(other, "sensors", null), operation, "sensors/t", false);
            rows.Add("string module", "- sensors", operation, "sensors/i2/t", true);
            rows.Add("string module, other module", "- sensors", operation, "other/t", false);
            rows.Add("string transport:module", $"- \"{transport}:sensors\"", operation, "sensors/i1/t", true);
            rows.Add("string transport:module, other transport", $"- \"{other}:sensors\"", operation, "sensors/t", false);
            rows.Add("string transport:module/id", $"- \"{transport}:sensors/i1\"", operation, "sensors/i1/t", true);
            rows.Add("string transport:module/id, other instance", $"- \"{transport}:sensors/i1\"", operation, "sensors/i2/t", false);
            rows.Add("several entries, the matching one last", $"- \"{other}:sensors\"\n- \"{transport}:other\"\n- \"{transport}:sensors\"", operation, "sensors/t", true);
            rows.Add("no permissions", NoPermissions, operation, "sensors/t", false);
            rows.Add("empty interfaces", EmptyInterfaces, operation, "sensors/t", false);
        }
        return rows;
    }

    public static TheoryData<string, string, string, bool> Serving() => new()
    {
        // VYRA's create_server: any server entry serves on the host's own module.
        { "server entry for another module, own bare name", "- \"server:elsewhere\"", "svc", true },
        { "server entry for another module, own module", "- \"server:elsewhere\"", "home/svc", true },
        { "server entry for another module, own instance", "- \"server:elsewhere\"", "home/h1/svc", true },
        { "server entry for another module, another instance of the own module", "- \"server:elsewhere\"", "home/h2/svc", false },
        { "server entry for another module, that module's service is not it", "- \"server:elsewhere\"", "other/svc", false },
        { "server entry naming the module", Object("server", "other", null), "other/svc", true },
        { "string module grants every transport, server too", "- elsewhere", "svc", true },
        { "publish entry for the own module is not a server entry", "- \"publish:home\"", "svc", false },
        { "no server entry", "- \"client:home\"\n- \"subscribe:home\"", "svc", false },
        { "no permissions", NoPermissions, "svc", false },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Each_transport_is_allowed_only_by_a_matching_entry(string @case, string interfaces, string operation, string address, bool allowed)
    {
        await Check(@case, interfaces, operation, address, allowed);
    }

    [Theory]
    [MemberData(nameof(Serving))]
    public async Task Serving_follows_create_server(string @case, string interfaces, string address, bool allowed)
    {
        await Check(@case, interfaces, "serve", address, allowed);
    }

    [Fact]
    public async Task A_server_entry_does_not_let_a_plugin_publish_on_its_own_module()
    {
        await Check("server entry, publish on the own module", "- \"server:elsewhere\"", "publish", "t", allowed: false);
        await Check("publish entry for the own module", "- \"publish:home/h1\"", "publish", "t", allowed: true);
    }

    [Fact]
    public async Task The_older_metadata_json_grants_the_same()
    {
        var manifest = ManifestReader.Parse("""
            {"id":"matrix-plugin","name":"Matrix","version":"1.0.0","scope":{"type":"MODULE","target":"home"},
             "permissions":{"interfaces":[{"transport":"publish","module_name":"sensors","module_id":null},"client:sensors/i1"]}}
            """, "metadata.json");
        var transport = new RecordingInterfaceFactory();
        await using var facade = new PluginFacade("matrix-plugin", manifest.Permissions, transport, new PluginBusOptions { Module = Home });
        await facade.PublishAsync("sensors/i9/t", Payload);
        await facade.RequestAsync("sensors/i1/svc", Payload);
        var denied = await Assert.ThrowsAsync<PluginCallException>(() => facade.RequestAsync("sensors/i2/svc", Payload).AsTask());
        Assert.Equal(PluginErrorKind.PermissionDenied, denied.Kind);
        Assert.Equal(["create publisher sensors/i9/t", "create client sensors/i1/svc"], transport.Creations);
    }

    [Fact]
    public async Task A_denial_names_the_plugin_the_operation_the_address_and_what_is_allowed()
    {
        var manifest = Manifest("- transport: publish\n  module_name: sensors\n  module_id: null\n- \"client:sensors/i1\"\n- dashboard");
        await using var facade = new PluginFacade("matrix-plugin", manifest.Permissions, new RecordingInterfaceFactory(), new PluginBusOptions { Module = Home });
        Assert.Equal("publish:sensors, client:sensors/i1, any:dashboard", facade.Allowed);

        var denied = await Assert.ThrowsAsync<PluginCallException>(() => facade.SubscribeAsync("sensors/i1/temp", (_, _) => ValueTask.CompletedTask).AsTask());
        Assert.Equal(PluginErrorKind.PermissionDenied, denied.Kind);
        Assert.Equal("matrix-plugin", denied.PluginId);
        Assert.Equal("subscribe", denied.FunctionName);
        Assert.Equal(
            "permission denied: plugin 'matrix-plugin' may not subscribe on 'sensors/i1/temp' (subscribe on module 'sensors', instance 'i1'); it is allowed publish:sensors, client:sensors/i1, any:dashboard",
            denied.Reason);

        var serve = await Assert.ThrowsAsync<PluginCallException>(() => facade.ServeAsync("other/svc", (r, _) => ValueTask.FromResult(new ServiceResponse("x", true, r.Data))).AsTask());
        Assert.Contains("may not serve on 'other/svc' (server on module 'other')", serve.Reason);
        Assert.Contains("serving on its own module 'home/h1' needs any server entry", serve.Reason);
    }

    [Fact]
    public async Task A_plugin_without_permissions_is_told_so()
    {
        await using var facade = new PluginFacade("bare", null, new RecordingInterfaceFactory());
        var denied = await Assert.ThrowsAsync<PluginCallException>(() => facade.PublishAsync("t", Payload).AsTask());
        Assert.Contains("may not publish on 'local/t' (publish on module 'local')", denied.Reason);
        Assert.Contains("it is allowed nothing (its manifest lists no permissions.interfaces)", denied.Reason);
    }

    [Fact]
    public async Task Notify_ui_needs_no_permission()
    {
        var transport = new RecordingInterfaceFactory();
        await using var facade = new PluginFacade("bare", null, transport);
        await facade.NotifyUiAsync("status", new Dictionary<string, object?> { ["ok"] = true });
        Assert.Equal(["notify_ui status"], transport.Journal);
    }

    private static async Task Check(string @case, string interfaces, string operation, string address, bool allowed)
    {
        var manifest = Manifest(interfaces);
        var transport = new RecordingInterfaceFactory();
        await using (var facade = new PluginFacade("matrix-plugin", manifest.Permissions, transport, new PluginBusOptions { Module = Home }))
        {
            var run = Run(facade, operation, address);
            if (allowed)
            {
                await run;
                var parsed = InterfaceAddress.TryParse(address, Home, out var a, out _) ? a! : throw new InvalidOperationException(address);
                var kind = Operations.Single(o => o.Operation == operation).Handle;
                Assert.True(transport.Creations.SequenceEqual([$"create {kind} {parsed}"]), $"{@case}: {operation} on {address} should reach the transport once; journal: {string.Join(" | ", transport.Journal)}");
            }
            else
            {
                var denied = await Assert.ThrowsAsync<PluginCallException>(() => run);
                Assert.True(denied.Kind == PluginErrorKind.PermissionDenied, $"{@case}: {operation} on {address}: {denied.Kind} {denied.Message}");
                Assert.Contains($"plugin 'matrix-plugin' may not {operation} on '", denied.Reason);
                Assert.Contains($"it is allowed {facade.Allowed}", denied.Reason);
                Assert.True(transport.Journal.IsEmpty, $"{@case}: a denied {operation} reached the transport");
            }
        }
        // The facade closes whatever it opened, exactly once.
        Assert.All(transport.Handles, h => Assert.Equal(1, h.Disposals));
    }

    private static Task Run(PluginFacade facade, string operation, string address) => operation switch
    {
        "publish" => facade.PublishAsync(address, Payload).AsTask(),
        "subscribe" => facade.SubscribeAsync(address, (_, _) => ValueTask.CompletedTask).AsTask(),
        "request" => facade.RequestAsync(address, Payload).AsTask(),
        "serve" => facade.ServeAsync(address, (r, _) => ValueTask.FromResult(new ServiceResponse("matrix-plugin", true, r.Data))).AsTask(),
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    private const string NoPermissions = "(none)";
    private const string EmptyInterfaces = "(empty)";

    private static string Object(string transport, string module, string? id) =>
        $"- transport: {transport}\n  module_name: {module}\n  module_id: {id ?? "null"}";

    /// <summary>An upstream-format manifest.yaml with these <c>permissions.interfaces</c> items, parsed for real.</summary>
    private static PluginManifest Manifest(string interfaces)
    {
        var permissions = interfaces switch
        {
            NoPermissions => "",
            EmptyInterfaces => "permissions:\n  interfaces: []\n  network: false\n",
            _ => "permissions:\n  interfaces:\n" + string.Join("\n", interfaces.Split('\n').Select(l => "    " + l)) + "\n  storage: none\n",
        };
        var yaml = $"""
            id: matrix-plugin
            name: Matrix
            version: 1.0.0
            scope:
              type: MODULE
              target: home

            """ + permissions;
        return ManifestReader.Parse(yaml, "matrix/manifest.yaml");
    }
}
