using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;
using Vyra.Sdk.Redis;
using Xunit;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>
/// A real <c>redis-server</c> on 127.0.0.1, on a free port, with a temporary directory and no persistence; it can be
/// stopped and started again on the same port. When the machine has no <c>redis-server</c>, the Debian package is
/// installed once (apt-get; CI runs as root). <c>VYRA_REDIS_SERVER</c> names another binary.
/// </summary>
public class RedisServerFixture : IAsyncLifetime
{
    private static readonly SemaphoreSlim InstallGate = new(1, 1);
    private static string? _binary;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "vyra-redis-" + Guid.NewGuid().ToString("N")[..8]);
    private Process? _process;

    public int Port { get; private set; }

    /// <summary>The fixture's temporary directory (certificates of a derived fixture go there).</summary>
    protected string DataDirectory => _directory;

    /// <summary>Arguments a derived fixture adds to redis-server's command line (asked once per start).</summary>
    protected virtual IEnumerable<string> ExtraArguments() => [];

    /// <summary>Runs before the first start (a derived fixture prepares files or ports).</summary>
    protected virtual Task PrepareAsync() => Task.CompletedTask;

    public string Configuration => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    public async Task InitializeAsync()
    {
        _binary = await FindOrInstallAsync();
        Directory.CreateDirectory(_directory);
        Port = FreePort();
        await PrepareAsync();
        await StartAsync();
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A connection tuned like production callers (fail fast, quick reconnect); dispose it.</summary>
    public Task<ConnectionMultiplexer> ConnectAsync() => VyraRedis.ConnectAsync(Configuration);

    /// <summary>Starts redis-server (again) on <see cref="Port"/>; returns when it answers PING.</summary>
    public async Task StartAsync()
    {
        if (IsRunning) return;
        var start = new ProcessStartInfo(_binary!)
        {
            WorkingDirectory = _directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", _directory, "--save", "", "--appendonly", "no",
                     "--daemonize", "no", "--protected-mode", "yes", "--logfile", "", "--databases", "1",
                 }.Concat(ExtraArguments()))
        {
            start.ArgumentList.Add(arg);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited) throw new InvalidOperationException($"redis-server exited with {_process.ExitCode} (port {Port})");
            if (await PingAsync()) return;
            await Task.Delay(25);
        }
        throw new TimeoutException($"redis-server did not answer on port {Port}");
    }

    /// <summary>Kills redis-server (no save): every connection drops at once.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process) return;
        _process = null;
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(2));
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    protected static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> FindOrInstallAsync()
    {
        if (_binary is not null) return _binary;
        await InstallGate.WaitAsync();
        try
        {
            if (_binary is not null) return _binary;
            var found = Find();
            if (found is null)
            {
                await InstallAsync();
                found = Find() ?? throw new InvalidOperationException(
                    "redis-server is not installed and installing the Debian package failed; run: apt-get update && apt-get install -y redis-server");
            }
            return _binary = found;
        }
        finally
        {
            InstallGate.Release();
        }
    }

    private static string? Find()
    {
        var configured = Environment.GetEnvironmentVariable("VYRA_REDIS_SERVER");
        if (!string.IsNullOrEmpty(configured)) return File.Exists(configured) ? configured : null;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/sbin", "/usr/local/bin"])
            .Select(dir => Path.Combine(dir, "redis-server"))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>apt-get as root, serialized across processes by a lock file; the service is not started.</summary>
    private static async Task InstallAsync()
    {
        var lockPath = Path.Combine(Path.GetTempPath(), "vyra-redis-install.lock");
        FileStream? held = null;
        var until = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (held is null)
        {
            try
            {
                held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(500);
            }
        }
        await using (held)
        {
            if (Find() is not null) return;
            var install = new ProcessStartInfo("/bin/sh")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            install.ArgumentList.Add("-c");
            install.ArgumentList.Add("apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server");
            install.Environment["DEBIAN_FRONTEND"] = "noninteractive";
            using var process = Process.Start(install) ?? throw new InvalidOperationException("cannot run apt-get");
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"installing redis-server failed ({process.ExitCode}): {await error}{await output}");
            }
        }
    }
}
