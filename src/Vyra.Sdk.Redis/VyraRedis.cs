using StackExchange.Redis;

namespace Vyra.Plugin.Redis;

/// <summary>Connections set up the way remote plugin calls need them.</summary>
public static class VyraRedis
{
    /// <summary>
    /// Options for <paramref name="configuration"/> (e.g. <c>127.0.0.1:6379</c>) tuned for plugin calls: connecting
    /// does not fail while Redis is down (it connects when Redis comes up), commands fail at once instead of queueing
    /// while disconnected, and reconnection is retried quickly.
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
}
