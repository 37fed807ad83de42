using System.Diagnostics.Metrics;
using Vyra.Sdk.Tests.Serving;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Performance;

/// <summary>The pool size as an exporter reads it: the observable gauge <c>vyra.plugin.pool.size</c> of the "Vyra.Sdk" meter.</summary>
[Collection(ProcessWideCollection.Name)] // a MeterListener sees every test's pools and instances
public class PoolSizeGaugeTests
{
    private sealed class Listener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly string _pluginId;
        private readonly object _gate = new();
        private int? _size;
        private long _instances;

        public Listener(string pluginId)
        {
            _pluginId = pluginId;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == VyraTelemetry.Name && instrument.Name is "vyra.plugin.pool.size" or "vyra.plugin.instances") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
            {
                if (Mine(tags)) _size = value;
            });
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                if (!Mine(tags)) return;
                lock (_gate) _instances += value;
            });
            _listener.Start();
        }

        private bool Mine(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == VyraTelemetry.PluginIdTag && (string?)tag.Value == _pluginId) return true;
            }
            return false;
        }

        /// <summary>The gauge's value for the plugin now (null: no open pool).</summary>
        public int? Size()
        {
            _size = null;
            _listener.RecordObservableInstruments();
            return _size;
        }

        /// <summary>Live instances of the plugin counted since the listener started (vyra.plugin.instances).</summary>
        public long Instances
        {
            get
            {
                lock (_gate) return _instances;
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task The_gauge_follows_growth_and_reclaim_and_every_grown_instance_is_disposed_by_the_stop()
    {
        const string id = "gauged-pool";
        using var listener = new Listener(id);
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        using var gate = new ElasticPoolTests.Gate(host);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var runtime = new WasmRuntime(id, plugin.ModulePath, host, options: ElasticPoolTests.Elastic(1, 3, time));
        await runtime.StartAsync();
        Assert.Equal(1, listener.Size());

        var calls = Enumerable.Range(0, 3).Select(i => runtime.CallAsync("hook", HookPlugin.N(i)).AsTask()).ToArray();
        await gate.Entered(3);
        Assert.Equal(3, listener.Size());
        Assert.Equal(3, listener.Instances);
        gate.Open();
        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(15));

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, listener.Size());
        Assert.Equal(1, listener.Instances);

        await runtime.DisposeAsync();
        Assert.Null(listener.Size());
        Assert.Equal(0, listener.Instances);
    }
}
