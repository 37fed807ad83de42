using StackExchange.Redis;
using Vyra.Sdk.Redis;

namespace Vyra.Samples.Shared;

/// <summary>
/// A sample process's signed connection to the Redis bus: its own connection, wire security signing with the key in
/// <see cref="KeyVariable"/> (base64, at least 16 bytes; read from the environment so it never shows on a command
/// line), and a <see cref="RedisInterfaceFactory"/> on it. Shared (as a linked source file) by the samples that run the
/// bus across processes, so they connect and sign alike.
/// </summary>
internal sealed class SampleRedisBus : IAsyncDisposable
{
    /// <summary>The environment variable holding the shared base64 wire key.</summary>
    public const string KeyVariable = "VYRA_WIRE_KEY";

    private SampleRedisBus(ConnectionMultiplexer connection, RedisWireSecurity security, RedisKeyspace keyspace, RedisInterfaceFactory interfaces)
    {
        Connection = connection;
        Security = security;
        Keyspace = keyspace;
        Interfaces = interfaces;
    }

    public ConnectionMultiplexer Connection { get; }

    public RedisWireSecurity Security { get; }

    public RedisKeyspace Keyspace { get; }

    public RedisInterfaceFactory Interfaces { get; }

    /// <summary>
    /// Connects to <paramref name="address"/> as <paramref name="sender"/> (its replies come on its own channel, so each
    /// process needs its own), or returns null after telling <paramref name="error"/> why not (no key, Redis unreachable).
    /// </summary>
    public static async Task<SampleRedisBus?> ConnectAsync(string address, string sender, string prefix, TextWriter error)
    {
        var secret = Environment.GetEnvironmentVariable(KeyVariable);
        if (string.IsNullOrEmpty(secret))
        {
            error.WriteLine($"{KeyVariable} is not set: export {KeyVariable}=$(openssl rand -base64 32) in both terminals");
            return null;
        }
        RedisWireKey key;
        try
        {
            key = RedisWireKey.FromBase64("sample", secret);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            // The message says what is wrong with the key (not base64, too short), never the key itself.
            error.WriteLine($"{KeyVariable} is not a usable wire key: {ex.Message}");
            return null;
        }
        var keyspace = new RedisKeyspace(prefix);
        var security = RedisWireSecurity.Signed(sender, key);
        var connection = await VyraRedis.ConnectAsync(address);
        // The connection is made even while Redis is down (it connects when Redis comes up): wait a bounded 10 s.
        for (var i = 0; i < 200 && !connection.IsConnected; i++) await Task.Delay(50);
        if (!connection.IsConnected)
        {
            error.WriteLine($"Redis at {address} cannot be reached");
            await connection.DisposeAsync();
            return null;
        }
        var interfaces = new RedisInterfaceFactory(connection, new RedisInterfaceFactoryOptions { Security = security, Keyspace = keyspace });
        return new SampleRedisBus(connection, security, keyspace, interfaces);
    }

    /// <summary>Ends every subscription and service first (they need the connection), then the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await Interfaces.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
