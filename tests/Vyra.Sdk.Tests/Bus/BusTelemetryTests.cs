using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Bus;

/// <summary>
/// Denials, throttles and blocks as an operator sees them: counted in the "Vyra.Sdk" meter (vyra.bus.denied /
/// throttled / blocked, tagged with plugin and operation), logged, and marked as events on the caller's trace.
/// </summary>
[Collection(ProcessWideCollection.Name)] // a MeterListener sees every test's measurements, and one test counts allocations
public class BusTelemetryTests
{
    private static readonly JsonElement Payload = JsonSerializer.SerializeToElement(new { value = 1 });
    private static readonly Dictionary<string, object?> Data = new();

    private sealed class BusMeters : IDisposable
    {
        private readonly MeterListener _listener = new();

        public BusMeters(string pluginId)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == VyraTelemetry.Name && instrument.Name.StartsWith("vyra.bus.", StringComparison.Ordinal))
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                string? plugin = null, operation = null;
                foreach (var tag in tags)
                {
                    if (tag.Key == VyraTelemetry.PluginIdTag) plugin = tag.Value as string;
                    else if (tag.Key == VyraTelemetry.BusOperationTag) operation = tag.Value as string;
                }
                if (plugin == pluginId) Measurements.Enqueue((instrument.Name, operation, value));
            });
            _listener.Start();
        }

        public ConcurrentQueue<(string Name, string? Operation, long Value)> Measurements { get; } = new();

        public long Sum(string name, string? operation = null) =>
            Measurements.Where(m => m.Name == name && (operation is null || m.Operation == operation)).Sum(m => m.Value);

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task Denials_throttles_and_blocks_are_counted_logged_and_traced()
    {
        var id = "bus-telemetry-" + Guid.NewGuid().ToString("N")[..8];
        using var meters = new BusMeters(id);
        var logs = new ListLoggerFactory();
        using var source = new ActivitySource("Vyra.Sdk.Tests.Bus");
        using var activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(activities);

        var transport = new RecordingInterfaceFactory();
        var options = new PluginBusOptions
        {
            TimeProvider = new FakeTimeProvider(),
            RateLimit = new RateLimitOptions { MaxCalls = 2, ThrottleStep = TimeSpan.Zero, BlockAfter = 3 },
        };
        await using var facade = new PluginFacade(id, new PluginPermissions([new InterfacePermission("publish", "sensors")]), transport, options, logs.CreateLogger("bus"));

        using (var parent = source.StartActivity("guest call"))
        {
            Assert.NotNull(parent);
            await Assert.ThrowsAsync<PluginCallException>(() => facade.SubscribeAsync("sensors/t", (_, _) => ValueTask.CompletedTask).AsTask());
            await Assert.ThrowsAsync<PluginCallException>(() => facade.PublishAsync("other/t", Payload).AsTask());
            await facade.PublishAsync("sensors/t", Payload);
            await facade.NotifyUiAsync("tick", Data);
            await facade.PublishAsync("sensors/t", Payload); // excess 1
            await facade.NotifyUiAsync("tick", Data);        // excess 2
            await Assert.ThrowsAsync<PluginCallException>(() => facade.PublishAsync("sensors/t", Payload).AsTask()); // excess 3: blocks
            await Assert.ThrowsAsync<PluginCallException>(() => facade.NotifyUiAsync("tick", Data).AsTask());
            await Assert.ThrowsAsync<PluginCallException>(() => facade.NotifyUiAsync("tick", Data).AsTask());

            var events = parent.Events.Select(e => (e.Name, Operation: e.Tags.FirstOrDefault(t => t.Key == VyraTelemetry.BusOperationTag).Value as string)).ToList();
            Assert.Equal(
                [("vyra.bus.denied", "subscribe"), ("vyra.bus.denied", "publish"), ("vyra.bus.throttled", "publish"), ("vyra.bus.throttled", "notify_ui"),
                 ("vyra.bus.blocked", "publish"), ("vyra.bus.blocked", "notify_ui"), ("vyra.bus.blocked", "notify_ui")],
                events);
            Assert.Contains(parent.Events, e => e.Name == "vyra.bus.denied" && (string?)e.Tags.First(t => t.Key == VyraTelemetry.BusAddressTag).Value == "other/t");
        }

        Assert.Equal(1, meters.Sum("vyra.bus.denied", "subscribe"));
        Assert.Equal(1, meters.Sum("vyra.bus.denied", "publish"));
        Assert.Equal(1, meters.Sum("vyra.bus.throttled", "publish"));
        Assert.Equal(1, meters.Sum("vyra.bus.throttled", "notify_ui"));
        Assert.Equal(1, meters.Sum("vyra.bus.blocked", "publish"));
        Assert.Equal(2, meters.Sum("vyra.bus.blocked", "notify_ui"));

        var lines = logs.Lines.ToList();
        Assert.Equal(2, lines.Count(l => l.Level == LogLevel.Warning && l.Message.Contains("denied", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.Level == LogLevel.Warning && l.Message.Contains($"Plugin {id}: publish on other/t denied; its permissions allow publish:sensors", StringComparison.Ordinal));
        Assert.Equal(2, lines.Count(l => l.Message.Contains("over its rate limit", StringComparison.Ordinal) && l.Message.Contains("excess count", StringComparison.Ordinal)));
        // The block is logged once, however many refusals follow.
        var blocked = Assert.Single(lines, l => l.Message.Contains(" blocked at ", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, blocked.Level);
        Assert.Contains($"Plugin {id} blocked at publish on sensors/t", blocked.Message);

        facade.Unblock();
        Assert.Contains(logs.Lines, l => l.Message == $"Plugin {id} unblocked by the host");
    }

    [Fact]
    public void Admitting_allocates_nothing()
    {
        var limiter = new RateLimiter(new RateLimitOptions { MaxCalls = 50, ThrottleStep = TimeSpan.Zero, BlockAfter = int.MaxValue }, new FakeTimeProvider());
        for (var i = 0; i < 1_000; i++) limiter.Admit(); // warm up, and fill the window
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100_000; i++) limiter.Admit();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(101_000 - 50, limiter.ExcessCount);
    }
}
