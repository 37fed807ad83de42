// Two host processes serve the math-kit plugin on Redis; this process calls it through the generated typed proxy over a
// RemotePluginRuntime, shows the calls spread over both hosts, kills one host mid-run and shows every call still answered.
// Every message is signed with a key made for this run (handed to the hosts in VYRA_WIRE_KEY, never on a command line),
// and the hosts let only this caller call math-kit (see docs/redis.md).
//
//   dotnet run --project samples/Vyra.Samples.Distributed                  starts its own redis-server on a free port
//   dotnet run --project samples/Vyra.Samples.Distributed -- --redis HOST:PORT
//   dotnet run --project samples/Vyra.Samples.Distributed -- --redis "HOST:PORT,user=NAME,password=SECRET,ssl=true"
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Vyra.Sdk;
using Vyra.Sdk.Redis;
using Vyra.Samples.Distributed.Plugins;

const string KeyVariable = "VYRA_WIRE_KEY";
if (args is ["host", var hostAddress, var hostName]) return await RunHostAsync(hostAddress, hostName);

var wireKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

string? redisAddress = args is ["--redis", var given] ? given : null;
Process? redis = null;
string? redisDirectory = null;
var hosts = new List<Process>();
try
{
    if (redisAddress is null)
    {
        (redis, redisDirectory, redisAddress) = await StartRedisAsync();
        if (redis is null) return 1;
    }
    Console.WriteLine($"Redis at {redisAddress}");
    foreach (var name in new[] { "host-1", "host-2" }) hosts.Add(await StartHostAsync(redisAddress, name, wireKey));

    await using var connection = await VyraRedis.ConnectAsync(redisAddress);
    var remote = new RemotePluginRuntime("math-kit", connection, new RemotePluginRuntimeOptions
    {
        CallTimeout = TimeSpan.FromSeconds(20),
        Security = RedisWireSecurity.Signed("sample-caller", RedisWireKey.FromBase64("run", wireKey)),
    });
    var math = new MathKitPlugin(remote);
    await math.StartAsync();

    Console.WriteLine("Phase 1: 200 calls, 8 at a time, both hosts up");
    await CallManyAsync(math, 0, 200);
    Report(remote);

    Console.WriteLine("Phase 2: 200 more calls; host-1 is killed after the first 50 answers");
    var answered = 0;
    var killed = false;
    await CallManyAsync(math, 200, 200, () =>
    {
        if (Interlocked.Increment(ref answered) == 50 && !killed)
        {
            killed = true;
            hosts[0].Kill(entireProcessTree: true);
            Console.WriteLine("  host-1 killed");
        }
    });
    Report(remote);
    Console.WriteLine("Every call was answered exactly once with the right value.");
    await math.DisposeAsync();
    return 0;
}
finally
{
    foreach (var host in hosts)
    {
        if (!host.HasExited) host.Kill(entireProcessTree: true);
        host.Dispose();
    }
    if (redis is not null)
    {
        if (!redis.HasExited) redis.Kill();
        redis.Dispose();
    }
    if (redisDirectory is not null) Directory.Delete(redisDirectory, recursive: true);
}

static async Task CallManyAsync(MathKitPlugin math, int first, int count, Action? answered = null)
{
    using var gate = new SemaphoreSlim(8);
    var calls = Enumerable.Range(first, count).Select(async n =>
    {
        await gate.WaitAsync();
        try
        {
            var sum = await math.AddI64Async(n, 1_000_000_000_000);
            if (sum != n + 1_000_000_000_000) throw new InvalidOperationException($"wrong answer for {n}: {sum}");
            answered?.Invoke();
        }
        finally
        {
            gate.Release();
        }
    });
    await Task.WhenAll(calls);
}

static void Report(RemotePluginRuntime remote) =>
    Console.WriteLine("  answered by: " + string.Join(", ", remote.ServedBy.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}")));

static async Task<int> RunHostAsync(string address, string name)
{
    await using var connection = await VyraRedis.ConnectAsync(address);
    var path = Path.Combine(AppContext.BaseDirectory, "plugins", "math-kit", "1.0.0", "logic.wasm");
    await using var math = MathKitPlugin.Create(path);
    await math.StartAsync();
    // A short claim timeout so the demo shows a dead host's requests taken over quickly.
    var key = Environment.GetEnvironmentVariable(KeyVariable) ?? throw new InvalidOperationException($"{KeyVariable} is not set");
    await using var server = new PluginServer(connection, new PluginServerOptions
    {
        HostName = name,
        ClaimTimeout = TimeSpan.FromSeconds(2),
        Security = RedisWireSecurity.Signed(name, RedisWireKey.FromBase64("run", key)),
        Authorization = new RedisAuthorization().AllowCalls("sample-caller", "math-kit"),
    });
    server.Serve(math.Runtime);
    await server.StartAsync();
    Console.WriteLine("ready");
    await Console.In.ReadToEndAsync(); // runs until its parent closes stdin or kills it
    Console.Error.WriteLine($"{name}: answered {server.HandledCount}, claimed {server.ClaimedCount}");
    return 0;
}

static async Task<Process> StartHostAsync(string address, string name, string key)
{
    var self = Environment.ProcessPath!;
    var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
    start.Environment[KeyVariable] = key;
    if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(MathKitPlugin).Assembly.Location);
    foreach (var arg in new[] { "host", address, name }) start.ArgumentList.Add(arg);
    var process = Process.Start(start)!;
    var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
    if (line != "ready") throw new InvalidOperationException($"{name} did not start: {line}");
    Console.WriteLine($"{name} serves math-kit (pid {process.Id})");
    return process;
}

static async Task<(Process?, string?, string)> StartRedisAsync()
{
    var binary = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin")
        .Select(dir => Path.Combine(dir, "redis-server")).FirstOrDefault(File.Exists);
    if (binary is null)
    {
        Console.Error.WriteLine("redis-server is not installed: apt-get update && apt-get install -y redis-server (or pass --redis HOST:PORT)");
        return (null, null, "");
    }
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    var port = ((IPEndPoint)listener.LocalEndpoint).Port;
    listener.Stop();
    var directory = Directory.CreateTempSubdirectory("vyra-distributed-").FullName;
    var start = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true };
    foreach (var arg in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--dir", directory, "--save", "", "--appendonly", "no" }) start.ArgumentList.Add(arg);
    var process = Process.Start(start)!;
    process.OutputDataReceived += (_, _) => { };
    process.BeginOutputReadLine();
    for (var i = 0; i < 200; i++)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            break;
        }
        catch (SocketException)
        {
            await Task.Delay(25);
        }
    }
    return (process, directory, $"127.0.0.1:{port}");
}
