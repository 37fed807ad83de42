using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using StackExchange.Redis;
using Vyra.Sdk;
using Vyra.Sdk.Redis;

namespace Vyra.Sdk.Benchmarks;

/// <summary>
/// Issue 8: a remote plugin call over Redis (request stream, consumer group, reply) with 1 and 2 serving hosts, beside a
/// raw StackExchange.Redis round trip of the same payload (ECHO: one network round trip carrying it both ways).
/// Latency: one caller, one call at a time. Throughput: <see cref="Concurrent"/> calls in flight per operation.
/// Needs a <c>redis-server</c> binary (Debian package); it is started on a free loopback port and stopped after.
/// </summary>
public class RemoteBenchmarks
{
    // The wire is signed by default (docs/redis.md): the benchmark measures that path, with one shared key.
    private static readonly RedisWireKey WireKey = new("bench", System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private const int Concurrent = 16;
    private static readonly IReadOnlyDictionary<string, object?> Step = new Dictionary<string, object?> { ["step"] = 1 };

    private Process? _redis;
    private string? _directory;
    private ConnectionMultiplexer? _caller;
    private readonly List<(ConnectionMultiplexer Connection, PluginServer Server, PluginRuntime Runtime)> _hosts = [];
    private RemotePluginRuntime? _remote;
    private RemotePluginRuntime? _remoteBlocking;
    private RedisValue _payload;

    /// <summary>How many hosts serve the plugin.</summary>
    [Params(1, 2)]
    public int Hosts { get; set; }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        var port = FreePort();
        _directory = Directory.CreateTempSubdirectory("vyra-bench-redis-").FullName;
        var binary = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed (apt-get install -y redis-server)");
        var start = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var arg in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--dir", _directory, "--save", "", "--appendonly", "no" }) start.ArgumentList.Add(arg);
        _redis = Process.Start(start)!;
        var address = $"127.0.0.1:{port}";
        for (var i = 0; ; i++)
        {
            _caller = await VyraRedis.ConnectAsync(address);
            if (_caller.IsConnected) break;
            await _caller.DisposeAsync();
            if (i > 100) throw new InvalidOperationException("redis-server did not come up");
            await Task.Delay(50);
        }
        for (var i = 0; i < Hosts; i++)
        {
            var connection = await VyraRedis.ConnectAsync(address);
            var runtime = PluginRuntime.Create("counter-widget", BenchPlugins.CounterWidget);
            await runtime.StartAsync();
            var server = new PluginServer(connection, new PluginServerOptions { Security = RedisWireSecurity.Signed("bench-host", WireKey) }).Serve(runtime);
            await server.StartAsync();
            _hosts.Add((connection, server, runtime));
            // The same plugin under another id, served by hosts that take requests with a blocking read on a
            // connection of their own (docs/redis.md), on the same shared connection otherwise.
            var blockingRuntime = PluginRuntime.Create("counter-widget-blocking", BenchPlugins.CounterWidget);
            await blockingRuntime.StartAsync();
            var blockingServer = new PluginServer(connection, new PluginServerOptions
            {
                Security = RedisWireSecurity.Signed("bench-host", WireKey),
                ReadConfiguration = VyraRedis.Configure(address),
            }).Serve(blockingRuntime);
            await blockingServer.StartAsync();
            _hosts.Add((connection, blockingServer, blockingRuntime));
        }
        _remote = new RemotePluginRuntime("counter-widget", _caller, new RemotePluginRuntimeOptions { Security = RedisWireSecurity.Signed("bench", WireKey) });
        await _remote.StartAsync();
        _remoteBlocking = new RemotePluginRuntime("counter-widget-blocking", _caller, new RemotePluginRuntimeOptions { Security = RedisWireSecurity.Signed("bench", WireKey) });
        await _remoteBlocking.StartAsync();
        await _remoteBlocking.CallAsync("increment", Step);
        // The payload a call puts on the wire, for the raw round trip.
        _payload = """{"plugin_id":"counter-widget","function_name":"increment","data":{"step":1}}""";
        await _remote.CallAsync("increment", Step); // warm the path once
    }

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task CleanupAsync()
    {
        if (_remote is not null) await _remote.DisposeAsync();
        if (_remoteBlocking is not null) await _remoteBlocking.DisposeAsync();
        foreach (var (_, server, runtime) in _hosts)
        {
            await server.DisposeAsync();
            await runtime.DisposeAsync();
        }
        foreach (var connection in _hosts.Select(h => h.Connection).Distinct()) await connection.DisposeAsync();
        _hosts.Clear();
        if (_caller is not null) await _caller.DisposeAsync();
        if (_redis is { HasExited: false }) _redis.Kill();
        _redis?.Dispose();
        if (_directory is not null) Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The physical floor: one Redis round trip with the same payload.</summary>
    [Benchmark(Baseline = true)]
    public async Task<RedisResult> RawEchoRoundTrip() => await _caller!.GetDatabase().ExecuteAsync("ECHO", _payload);

    /// <summary>One remote call, waited for before the next.</summary>
    [Benchmark]
    public async Task<object?> RemoteCall() => (await _remote!.CallAsync("increment", Step))["result"];

    /// <summary>One remote call to hosts that read blocking on connections of their own (<see cref="PluginServerOptions.ReadConfiguration"/>).</summary>
    [Benchmark]
    public async Task<object?> RemoteCallBlockingRead() => (await _remoteBlocking!.CallAsync("increment", Step))["result"];

    /// <summary>Raw round trips, <see cref="Concurrent"/> in flight.</summary>
    [Benchmark(OperationsPerInvoke = Concurrent)]
    public Task RawEchoConcurrent()
    {
        var db = _caller!.GetDatabase();
        return Task.WhenAll(Enumerable.Range(0, Concurrent).Select(_ => db.ExecuteAsync("ECHO", _payload)));
    }

    /// <summary>Remote calls, <see cref="Concurrent"/> in flight (shared by the serving hosts).</summary>
    [Benchmark(OperationsPerInvoke = Concurrent)]
    public Task RemoteCallsConcurrent() =>
        Task.WhenAll(Enumerable.Range(0, Concurrent).Select(_ => _remote!.CallAsync("increment", Step).AsTask()));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
