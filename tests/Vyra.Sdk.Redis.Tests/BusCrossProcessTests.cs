using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Xunit;
using static Vyra.Sdk.Redis.Tests.Bench;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>
/// The bus across real processes: the BusRedis sample's "serve" process (math-kit serving calc/add, a subscriber on
/// sensors/reading) and its "publish" process, two .NET processes with their own connections, on the test's redis-server.
/// </summary>
public sealed class BusCrossProcessTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task A_publisher_process_reaches_a_subscriber_and_server_process_over_Redis()
    {
        var sample = SampleAssembly();
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var prefix = "x" + Guid.NewGuid().ToString("N")[..10];
        var serverLines = new ConcurrentQueue<string>();
        using var server = Start(sample, key, serverLines, "serve", redis.Configuration, prefix);
        try
        {
            await EventuallyAsync(() => serverLines.Contains("ready") || server.HasExited, TimeSpan.FromSeconds(20), "the serve process is ready");
            Assert.False(server.HasExited, string.Join('\n', serverLines));

            var publisherLines = new ConcurrentQueue<string>();
            using var publisher = Start(sample, key, publisherLines, "publish", redis.Configuration, prefix);
            await publisher.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            var output = string.Join('\n', publisherLines);
            Assert.True(publisher.ExitCode == 0, output);
            Assert.Contains("calc/add 5 + 1000000000000 = 1000000000005 (answered by math-kit)", publisherLines);
            Assert.Contains("calc/nobody: success=False error=timeout", publisherLines);

            await EventuallyAsync(() => serverLines.Count(l => l.StartsWith("event reading from sensor: ", StringComparison.Ordinal)) == 3, what: "three readings printed by the serve process");
            Assert.Contains("""event reading from sensor: {"reading":2,"celsius":21}""", serverLines);
            server.StandardInput.Close();
            await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(0, server.ExitCode);
            Assert.Contains("served 5 requests", serverLines);
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
        }
    }

    private static Process Start(string assembly, string key, ConcurrentQueue<string> lines, params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet ? dotnet : "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(assembly);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["VYRA_WIRE_KEY"] = key;
        start.Environment["DOTNET_NOLOGO"] = "1";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue("stderr: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The sample's build output, in the configuration and layout this test project was built with.</summary>
    private static string SampleAssembly()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        var project = root;
        while (project is not null && !File.Exists(Path.Combine(project.FullName, "Vyra.Sdk.Redis.Tests.csproj"))) project = project.Parent;
        Assert.NotNull(project);
        var relative = Path.GetRelativePath(project.FullName, root.FullName);
        var sampleDirectory = Path.Combine(project.FullName, "..", "..", "samples", "Vyra.Samples.BusRedis");
        var expected = Path.Combine(sampleDirectory, relative, "Vyra.Samples.BusRedis.dll");
        if (File.Exists(expected)) return Path.GetFullPath(expected);
        // Another output layout (a RID folder or not): the newest build of the sample.
        var found = new DirectoryInfo(Path.Combine(sampleDirectory, "bin")).EnumerateFiles("Vyra.Samples.BusRedis.dll", SearchOption.AllDirectories)
            .OrderByDescending(f => f.LastWriteTimeUtc).FirstOrDefault();
        Assert.True(found is not null, $"the BusRedis sample is not built (looked for {expected})");
        return found.FullName;
    }
}
