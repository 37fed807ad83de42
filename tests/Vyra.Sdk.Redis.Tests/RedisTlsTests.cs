using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using StackExchange.Redis;
using Vyra.Sdk;
using Vyra.Sdk.Redis;
using Xunit;
using static Vyra.Sdk.Redis.Tests.Bench;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>
/// redis-server with a TLS port, its certificate issued by a CA made here (the plain port is kept for the fixture's
/// readiness check and restarts only).
/// </summary>
public sealed class RedisTlsServerFixture : RedisServerFixture
{
    public int TlsPort { get; private set; }

    public X509Certificate2 Authority { get; private set; } = null!;

    protected override Task PrepareAsync()
    {
        TlsPort = FreePort();
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=vyra test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        // One clock reading for both certificates: the server's validity must lie inside the authority's, and two
        // readings across a second boundary once made the server's end a second later than the authority's (CI).
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        Authority = X509CertificateLoader.LoadCertificate(ca.Export(X509ContentType.Cert));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = request.Create(ca, now.AddMinutes(-4), now.AddDays(1).AddMinutes(-1), RandomNumberGenerator.GetBytes(8));
        File.WriteAllText(Path.Combine(DataDirectory, "server.crt"), server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(DataDirectory, "server.key"), serverKey.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(DataDirectory, "ca.crt"), ca.ExportCertificatePem());
        return Task.CompletedTask;
    }

    protected override IEnumerable<string> ExtraArguments() =>
    [
        "--tls-port", TlsPort.ToString(), "--tls-cert-file", Path.Combine(DataDirectory, "server.crt"),
        "--tls-key-file", Path.Combine(DataDirectory, "server.key"), "--tls-ca-cert-file", Path.Combine(DataDirectory, "ca.crt"),
        "--tls-auth-clients", "no",
    ];

    /// <summary>TLS options for the TLS port: the server certificate must chain to <see cref="Authority"/> and name localhost.</summary>
    public ConfigurationOptions TlsOptions()
    {
        var options = VyraRedis.Configure($"127.0.0.1:{TlsPort},ssl=true,sslHost=localhost");
        options.CertificateValidation += (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(Authority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
        return options;
    }
}

/// <summary>Hosts and callers over TLS: the wire works the same; plain text to the TLS port does not.</summary>
public sealed class RedisTlsTests(RedisTlsServerFixture redis) : IClassFixture<RedisTlsServerFixture>
{
    [Fact]
    public async Task Hosts_and_callers_work_over_TLS()
    {
        await using var bench = Create(redis);
        async Task<ConnectionMultiplexer> TlsAsync()
        {
            var connection = await ConnectionMultiplexer.ConnectAsync(redis.TlsOptions());
            bench.Defer(async () => await connection.DisposeAsync());
            await EventuallyAsync(() => connection.IsConnected, what: "the TLS connection is up");
            return connection;
        }

        var stub = await bench.StartStubAsync("tls-echo");
        stub.RegisterHandler("echo", (data, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(new Dictionary<string, object?> { ["result"] = data["text"] }));
        await bench.ServeOnAsync(await TlsAsync(), null, stub);
        var remote = await bench.RemoteAsync("tls-echo", connection: await TlsAsync());
        Assert.Equal("over tls", (await remote.CallAsync("echo", Args(("text", "over tls"))))["result"]);

        // A client that does not speak TLS gets no connection on that port.
        var plain = await VyraRedis.ConnectAsync($"127.0.0.1:{redis.TlsPort}");
        bench.Defer(async () => await plain.DisposeAsync());
        Assert.False(plain.IsConnected);
    }

    [Fact]
    public async Task A_blocking_read_connects_with_the_users_TLS_options_and_certificate_check()
    {
        await using var bench = Create(redis);
        var shared = await ConnectionMultiplexer.ConnectAsync(redis.TlsOptions());
        bench.Defer(async () => await shared.DisposeAsync());
        await EventuallyAsync(() => shared.IsConnected, what: "the TLS connection is up");
        var stub = await bench.StartStubAsync("tls-block");
        stub.RegisterHandler("echo", (data, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(new Dictionary<string, object?> { ["result"] = data["text"] }));
        // The same options as the shared connection: the copy the host connects keeps the private CA's check
        // (without it, the server's certificate does not verify and the read never connects).
        var read = redis.TlsOptions();
        read.ClientName = "reader-" + bench.Keys.Prefix;
        var options = bench.ServerOptions();
        var server = await bench.ServeOnAsync(shared, new PluginServerOptions { Keyspace = options.Keyspace, Security = options.Security, ReadConfiguration = read }, stub);
        var remote = await bench.RemoteAsync("tls-block", connection: shared);
        Assert.Equal("read over tls", (await remote.CallAsync("echo", Args(("text", "read over tls"))))["result"]);

        var admin = await bench.ConnectAsync("allowAdmin=true");
        await EventuallyAsync(async () => (await BlockingReadTests.BlockedReadersAsync(admin, read.ClientName)).Count == 1, what: "the read blocked");
        var list = (string?)await admin.GetDatabase().ExecuteAsync("CLIENT", "LIST") ?? "";
        // Every link of the read's connection (commands and subscriptions) is on the TLS port.
        var lines = list.Split('\n').Where(l => l.Contains($" name={read.ClientName} ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.Contains($"laddr=127.0.0.1:{redis.TlsPort} ", line));
        Assert.Equal(0, server.ReadFailureCount);
    }
}
