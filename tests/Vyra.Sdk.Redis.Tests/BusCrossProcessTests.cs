using System.Security.Cryptography;
using Xunit;

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
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var prefix = "x" + Guid.NewGuid().ToString("N")[..10];
        using var server = SampleProcess.Start("Vyra.Samples.BusRedis", key, "serve", redis.Configuration, prefix);
        Assert.True(await server.WaitForLineAsync(l => l == "ready", TimeSpan.FromSeconds(20)), server.Output);

        using var publisher = SampleProcess.Start("Vyra.Samples.BusRedis", key, "publish", redis.Configuration, prefix);
        await publisher.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(publisher.Process.ExitCode == 0, publisher.Output);
        Assert.Contains("calc/add 5 + 1000000000000 = 1000000000005 (answered by math-kit)", publisher.Lines);
        Assert.Contains("calc/nobody: success=False error=timeout", publisher.Lines);

        Assert.True(await server.WaitForAsync(lines => lines.Count(l => l.StartsWith("event reading from sensor: ", StringComparison.Ordinal)) == 3, TimeSpan.FromSeconds(15)),
            "three readings printed by the serve process:\n" + server.Output);
        Assert.Contains("""event reading from sensor: {"reading":2,"celsius":21}""", server.Lines);
        server.Process.StandardInput.Close();
        await server.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(0, server.Process.ExitCode);
        Assert.Contains("served 5 requests", server.Lines);
    }
}
