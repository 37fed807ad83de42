using StackExchange.Redis;

namespace Vyra.Sdk.Redis;

/// <summary>Connections set up the way remote plugin calls need them.</summary>
public static class VyraRedis
{
    /// <summary>
    /// Options for <paramref name="configuration"/> (e.g. <c>127.0.0.1:6379</c>) tuned for plugin calls: connecting
    /// does not fail while Redis is down (it connects when Redis comes up), commands fail at once instead of queueing
    /// while disconnected, and reconnection is retried quickly. The string is StackExchange.Redis's: add
    /// <c>user=NAME,password=SECRET</c> for a Redis ACL user (or <c>password=</c> alone for <c>requirepass</c>) and
    /// <c>ssl=true,sslHost=NAME</c> for TLS; docs/redis.md lists the commands and key patterns such a user needs.
    /// </summary>
    public static ConfigurationOptions Configure(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ReconnectRetryPolicy = new LinearRetry(250);
        options.ConnectTimeout = Math.Min(options.ConnectTimeout, 2000);
        options.ConnectRetry = 1;
        return options;
    }

    /// <summary>Connects with <see cref="Configure"/>'s options; returns even while Redis is down.</summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync(string configuration, TextWriter? log = null) =>
        await ConnectionMultiplexer.ConnectAsync(Configure(configuration), log).ConfigureAwait(false);

    /// <summary>
    /// Runs <paramref name="action"/>, retrying for up to <paramref name="within"/> while the connection is still being
    /// established (a fresh multiplexer, or one reconnecting, refuses commands at once under <see cref="BacklogPolicy.FailFast"/>).
    /// </summary>
    internal static async Task RetryWhileConnectingAsync(Func<Task> action, TimeSpan within, CancellationToken cancellationToken = default)
    {
        var until = DateTime.UtcNow + within;
        while (true)
        {
            try
            {
                await action().ConfigureAwait(false);
                return;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>How long a start waits for a connection that is still being established.</summary>
    internal static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(3);
}
