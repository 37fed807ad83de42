using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Diagnostics;

/// <summary>Metrics and traces read the way an OpenTelemetry exporter would: through MeterListener and ActivityListener.</summary>
[Collection(ProcessWideCollection.Name)] // listeners see every test's calls: nothing else may run beside them
public class TelemetryTests
{
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _meters = new();
        private readonly ActivityListener _activities;

        public Recorder(string pluginId)
        {
            _meters.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == VyraTelemetry.Name) listener.EnableMeasurementEvents(instrument);
            };
            _meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags, pluginId));
            _meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags, pluginId));
            _meters.Start();
            _activities = new ActivityListener
            {
                ShouldListenTo = s => s.Name == VyraTelemetry.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = a => { if ((string?)a.GetTagItem(VyraTelemetry.PluginIdTag) == pluginId) Activities.Enqueue(a); },
            };
            ActivitySource.AddActivityListener(_activities);
        }

        public ConcurrentQueue<(string Name, double Value, Dictionary<string, object?> Tags)> Measurements { get; } = new();

        public ConcurrentQueue<Activity> Activities { get; } = new();

        private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, string pluginId)
        {
            var dict = new Dictionary<string, object?>();
            foreach (var tag in tags) dict[tag.Key] = tag.Value;
            if (!dict.TryGetValue(VyraTelemetry.PluginIdTag, out var id) || (string?)id == pluginId || !dict.ContainsKey(VyraTelemetry.PluginIdTag))
            {
                Measurements.Enqueue((instrument.Name, value, dict));
            }
        }

        public void Dispose()
        {
            _meters.Dispose();
            _activities.Dispose();
        }
    }

    [Fact]
    public async Task Calls_are_counted_timed_traced_and_failures_tagged_with_their_kind()
    {
        var id = "telemetry-" + Guid.NewGuid().ToString("N")[..8];
        using var recorder = new Recorder(id);
        await using var runtime = PluginRuntime.Create(id, SamplePlugins.MathKit);
        await runtime.StartAsync();
        await runtime.CallAsync("fib", SamplePlugins.Args(("n", 10)));
        await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("divmod", SamplePlugins.Args(("a", 1), ("b", 0))));

        var calls = recorder.Measurements.Where(m => m.Name == "vyra.plugin.calls").ToList();
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.Equal(id, c.Tags[VyraTelemetry.PluginIdTag]));
        Assert.Equal(2, recorder.Measurements.Count(m => m.Name == "vyra.plugin.call.duration" && m.Value >= 0));
        var failure = Assert.Single(recorder.Measurements, m => m.Name == "vyra.plugin.call.failures");
        Assert.Equal("Trap", failure.Tags[VyraTelemetry.ErrorTypeTag]);
        Assert.Equal("divmod", failure.Tags[VyraTelemetry.FunctionTag]);

        Assert.Equal(2, recorder.Activities.Count);
        var failed = Assert.Single(recorder.Activities, a => a.Status == ActivityStatusCode.Error);
        Assert.Equal("vyra.plugin.call divmod", failed.DisplayName);
        Assert.Equal("wasm", failed.GetTagItem(VyraTelemetry.BackendTag));
    }

    [Fact]
    public async Task Typed_calls_instances_fuel_and_cache_are_measured()
    {
        var id = "telemetry-" + Guid.NewGuid().ToString("N")[..8];
        using var recorder = new Recorder(id);
        await using var runtime = new WasmRuntime(id, SamplePlugins.Counter, options: new PluginRuntimeOptions { Fuel = 1_000_000 });
        await runtime.StartAsync();
        var increment = runtime.GetTypedExport("increment", static f => f.WrapFunc<int, int>());
        using (var call = increment.Enter())
        {
            call.Function(1);
        }
        Assert.Contains(recorder.Measurements, m => m.Name == "vyra.plugin.calls" && (string?)m.Tags[VyraTelemetry.FunctionTag] == "increment");
        Assert.Contains(recorder.Measurements, m => m.Name == "vyra.plugin.fuel.consumed" && m.Value > 0);
        Assert.Contains(recorder.Measurements, m => m.Name == "vyra.plugin.instances" && m.Value == 1);
        Assert.Contains(recorder.Measurements, m => m.Name is "vyra.module.cache.hits" or "vyra.module.cache.misses");
        await runtime.StopAsync();
        Assert.Contains(recorder.Measurements, m => m.Name == "vyra.plugin.instances" && m.Value == -1);
    }
    [Fact]
    public async Task Service_export_calls_are_counted_like_calls_with_their_failure_kind()
    {
        var id = "telemetry-" + Guid.NewGuid().ToString("N")[..8];
        using var recorder = new Recorder(id);
        using var plugin = TempPlugin.FromWat("(module)", $$"""
            { "id": "{{id}}", "exports": [],
              "entry_points": { "backend": { "service_exports": [ { "name": "ask", "service": "s", "method": "m", "passthrough": "*" } ] } } }
            """);
        var service = new VyraServiceMethods().Add("m", args => args.Count > 0 ? throw new InvalidOperationException("no") : 1);
        await using var runtime = PluginRuntime.Create(id, plugin.ModulePath, options: new PluginRuntimeOptions { ServiceExports = new ServiceExportResolver().Add("s", service) });
        await runtime.StartAsync();
        await runtime.CallAsync("ask");
        await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("ask", SamplePlugins.Args(("x", 1))));

        Assert.Equal(2, recorder.Measurements.Count(m => m.Name == "vyra.plugin.calls" && (string?)m.Tags[VyraTelemetry.FunctionTag] == "ask"));
        var failure = Assert.Single(recorder.Measurements, m => m.Name == "vyra.plugin.call.failures");
        Assert.Equal("HostFunction", failure.Tags[VyraTelemetry.ErrorTypeTag]);
    }
}
