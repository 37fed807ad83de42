using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Vyra.Sdk;
using Xunit;

namespace Vyra.Sdk.Tests.Bus;

/// <summary>
/// VYRA's order (permission → throttle → transport) and what the facade owns: each handle it makes is closed exactly
/// once, by the caller or by the facade, including one the transport finishes making after the facade closed.
/// </summary>
public class FacadeOwnershipTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);
    private static readonly JsonElement Payload = JsonSerializer.SerializeToElement(new { value = 1 });
    private static readonly PluginPermissions Sensors = new([new InterfacePermission(null, "sensors")]);

    private static Func<PluginEvent, CancellationToken, ValueTask> Ignore => (_, _) => ValueTask.CompletedTask;

    private static Func<ServiceRequest, CancellationToken, ValueTask<ServiceResponse>> Echo =>
        (r, _) => ValueTask.FromResult(new ServiceResponse("echo", true, r.Data));

    [Fact]
    public async Task Denied_operations_are_checked_before_the_throttle_and_never_spend_the_rate_limit()
    {
        var transport = new RecordingInterfaceFactory();
        var options = new PluginBusOptions { TimeProvider = new FakeTimeProvider(), RateLimit = new RateLimitOptions { MaxCalls = 1, BlockAfter = 1 } };
        await using var facade = new PluginFacade("ordered", Sensors, transport, options);
        for (var i = 0; i < 20; i++)
        {
            var denied = await Assert.ThrowsAsync<PluginCallException>(() => facade.PublishAsync("other/t", Payload).AsTask());
            Assert.Equal(PluginErrorKind.PermissionDenied, denied.Kind);
        }
        Assert.False(facade.IsBlocked);
        Assert.Empty(transport.Journal);

        await facade.PublishAsync("sensors/t", Payload); // the one call the window allows
        Assert.Equal(PluginErrorKind.Blocked, (await Assert.ThrowsAsync<PluginCallException>(() => facade.PublishAsync("sensors/t", Payload).AsTask())).Kind);
        // Blocked, a forbidden operation is still answered by the permission check first.
        Assert.Equal(PluginErrorKind.PermissionDenied, (await Assert.ThrowsAsync<PluginCallException>(() => facade.PublishAsync("other/t", Payload).AsTask())).Kind);
        Assert.Equal(["create publisher sensors/t", "publish sensors/t ordered t {\"value\":1}"], transport.Journal);
    }

    [Fact]
    public async Task An_invalid_address_is_refused_before_anything_else()
    {
        var transport = new RecordingInterfaceFactory();
        await using var facade = new PluginFacade("addresses", Sensors, transport);
        foreach (var bad in new[] { "", "a/b/c/d", "sensors/*", "sensors/t\n", new string('x', 500) })
        {
            var error = await Assert.ThrowsAsync<PluginCallException>(() => facade.PublishAsync(bad, Payload).AsTask());
            Assert.Equal(PluginErrorKind.InvalidArgument, error.Kind);
            Assert.Contains("invalid address", error.Reason);
        }
        Assert.Empty(transport.Journal);
    }

    [Fact]
    public async Task Publishers_and_clients_are_made_once_per_address_and_every_handle_is_closed_once_by_the_facade()
    {
        var transport = new RecordingInterfaceFactory();
        var facade = new PluginFacade("owner", Sensors, transport);
        await facade.PublishAsync("sensors/a", Payload);
        await facade.PublishAsync("sensors/a", Payload);
        await facade.PublishAsync("sensors/b", Payload);
        var reply = await facade.RequestAsync("sensors/svc", Payload);
        Assert.True(reply.Success);
        await facade.RequestAsync("sensors/svc", Payload);
        var subscription = await facade.SubscribeAsync("sensors/a", Ignore);
        var server = await facade.ServeAsync("sensors/svc", Echo);
        Assert.Equal(new InterfaceAddress("sensors", null, "a"), subscription.Address);
        Assert.Equal(new InterfaceAddress("sensors", null, "svc"), server.Address);
        Assert.Equal(
            ["create publisher sensors/a", "create publisher sensors/b", "create client sensors/svc", "create subscriber sensors/a", "create server sensors/svc"],
            transport.Creations);

        await facade.DisposeAsync();
        await facade.DisposeAsync();
        Assert.Equal(5, transport.Handles.Count);
        Assert.All(transport.Handles, h => Assert.Equal(1, h.Disposals));
        await subscription.DisposeAsync(); // after the facade: nothing more
        Assert.All(transport.Handles, h => Assert.Equal(1, h.Disposals));

        await Assert.ThrowsAsync<ObjectDisposedException>(() => facade.PublishAsync("sensors/a", Payload).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => facade.NotifyUiAsync("x", new Dictionary<string, object?>()).AsTask());
    }

    [Fact]
    public async Task A_subscription_or_service_closed_by_the_caller_frees_its_slot_and_is_not_closed_again()
    {
        var transport = new RecordingInterfaceFactory();
        var facade = new PluginFacade("slots", Sensors, transport, new PluginBusOptions { MaxSubscriptions = 1, MaxServices = 1 });
        var first = await facade.SubscribeAsync("sensors/a", Ignore);
        var full = await Assert.ThrowsAsync<PluginCallException>(() => facade.SubscribeAsync("sensors/b", Ignore).AsTask());
        Assert.Contains("PluginBusOptions.MaxSubscriptions", full.Reason);
        await first.DisposeAsync();
        await first.DisposeAsync();
        var second = await facade.SubscribeAsync("sensors/b", Ignore);

        var service = await facade.ServeAsync("sensors/s1", Echo);
        Assert.Contains("PluginBusOptions.MaxServices", (await Assert.ThrowsAsync<PluginCallException>(() => facade.ServeAsync("sensors/s2", Echo).AsTask())).Reason);
        await service.DisposeAsync();
        await facade.ServeAsync("sensors/s2", Echo);

        await facade.DisposeAsync();
        Assert.Equal(4, transport.Handles.Count);
        Assert.All(transport.Handles, h => Assert.Equal(1, h.Disposals));
        Assert.NotSame(first, second);
    }

    [Fact]
    public async Task A_handle_the_transport_finishes_after_the_facade_closed_is_closed_too()
    {
        var transport = new RecordingInterfaceFactory();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        transport.HoldCreation = release.Task;
        var facade = new PluginFacade("racing", Sensors, transport);
        var publishing = facade.PublishAsync("sensors/t", Payload).AsTask();
        var subscribing = facade.SubscribeAsync("sensors/t", Ignore).AsTask();
        Assert.False(publishing.IsCompleted);

        await facade.DisposeAsync();
        release.SetResult();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => publishing.WaitAsync(Guard));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => subscribing.WaitAsync(Guard));
        Assert.Equal(2, transport.Handles.Count);
        // DisposeQuietlyAsync runs on its own; the recorded handle completes its disposal synchronously.
        Assert.All(transport.Handles, h => Assert.Equal(1, h.Disposals));
        Assert.DoesNotContain(transport.Journal, j => j.StartsWith("publish ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_creation_is_not_cached_and_leaves_nothing_open()
    {
        var transport = new RecordingInterfaceFactory { FailCreation = new InvalidOperationException("transport down") };
        var facade = new PluginFacade("retry", Sensors, transport, new PluginBusOptions { MaxSubscriptions = 1 });
        await Assert.ThrowsAsync<InvalidOperationException>(() => facade.PublishAsync("sensors/t", Payload).AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => facade.SubscribeAsync("sensors/t", Ignore).AsTask());
        transport.FailCreation = null;
        await facade.PublishAsync("sensors/t", Payload);
        await facade.SubscribeAsync("sensors/t", Ignore); // the failed subscribe did not keep the one slot
        await facade.DisposeAsync();
        Assert.Equal(2, transport.Handles.Count);
        Assert.All(transport.Handles, h => Assert.Equal(1, h.Disposals));
    }

    [Fact]
    public async Task Published_events_and_requests_carry_VYRAs_shapes()
    {
        var transport = new RecordingInterfaceFactory();
        await using var facade = new PluginFacade("shapes", Sensors, transport);
        await facade.PublishAsync("sensors/i1/reading", Payload);
        await facade.RequestAsync("sensors/lookup", Payload);
        Assert.Contains("publish sensors/i1/reading shapes reading {\"value\":1}", transport.Journal);
        Assert.Contains("request sensors/lookup shapes lookup", transport.Journal);
    }

    [Fact]
    public async Task The_address_cap_holds_exactly_when_many_first_uses_race()
    {
        var transport = new RecordingInterfaceFactory();
        await using var facade = new PluginFacade("racer", Sensors, transport, new PluginBusOptions { MaxAddresses = 8, RateLimit = new RateLimitOptions { MaxCalls = 1000 } });
        using var start = new Barrier(16);
        // 16 threads, 4 new addresses each, all released at once: exactly 8 addresses get a handle, the rest are refused.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(t => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait(Guard);
            var refused = 0;
            for (var i = 0; i < 4; i++)
            {
                try
                {
                    facade.PublishAsync($"sensors/t{t}-{i}", Payload).AsTask().GetAwaiter().GetResult();
                }
                catch (PluginCallException ex) when (ex.Kind == PluginErrorKind.InvalidArgument && ex.Reason.Contains("PluginBusOptions.MaxAddresses"))
                {
                    refused++;
                }
            }
            return refused;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));
        Assert.Equal(64 - 8, outcomes.Sum());
        Assert.Equal(8, transport.Creations.Length);
    }

    [Theory]
    [InlineData("Module")]
    [InlineData("RateLimit")]
    [InlineData("TimeProvider")]
    [InlineData("RequestTimeout")]
    [InlineData("MaxSubscriptions")]
    [InlineData("MaxServices")]
    [InlineData("MaxAddresses")]
    public void Invalid_bus_options_are_refused_naming_the_field(string field)
    {
        var options = field switch
        {
            "Module" => new PluginBusOptions { Module = null! },
            "RateLimit" => new PluginBusOptions { RateLimit = null! },
            "TimeProvider" => new PluginBusOptions { TimeProvider = null! },
            "RequestTimeout" => new PluginBusOptions { RequestTimeout = TimeSpan.Zero },
            "MaxSubscriptions" => new PluginBusOptions { MaxSubscriptions = -1 },
            "MaxServices" => new PluginBusOptions { MaxServices = -1 },
            _ => new PluginBusOptions { MaxAddresses = -1 },
        };
        var error = Assert.Throws<ArgumentException>(() => new PluginFacade("p", null, new RecordingInterfaceFactory(), options));
        Assert.Contains("PluginBusOptions." + field, error.Message);
    }

    [Fact]
    public async Task A_caller_that_gives_up_while_a_shared_handle_is_made_fails_alone()
    {
        var slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var transport = new RecordingInterfaceFactory { HoldCreation = slow.Task };
        var facade = new PluginFacade("owner", Sensors, transport);
        using var impatient = new CancellationTokenSource();
        // Both publish on the same address: the second waits for the publisher the first asked the transport for.
        var first = facade.PublishAsync("sensors/a", Payload, impatient.Token).AsTask();
        var second = facade.PublishAsync("sensors/a", Payload).AsTask();

        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(Guard));
        slow.SetResult();

        // The second caller was not cancelled: it publishes with the publisher made once, and so does a third.
        await second.WaitAsync(Guard);
        await facade.PublishAsync("sensors/a", Payload).AsTask().WaitAsync(Guard);
        Assert.Equal(["create publisher sensors/a"], transport.Creations);
        await facade.DisposeAsync();
    }
}
