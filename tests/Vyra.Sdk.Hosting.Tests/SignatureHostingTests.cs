using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Vyra.Sdk;
using Vyra.Sdk.Hosting;
using Xunit;

namespace Vyra.Sdk.Hosting.Tests;

/// <summary>
/// <c>Vyra:Plugins:Signatures</c>: the policy reaches the catalog's discovery and every runtime the host creates, and a
/// setting that cannot be used fails the start naming its key. Real keys, real signed folders, real Wasmtime.
/// </summary>
public sealed class SignatureHostingTests : IDisposable
{
    private const string Wat = """(module (func (export "v") (result i32) i32.const 7))""";

    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(15);

    private readonly ECDsa _publisher = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly TempPool _pool = new();
    private readonly string _keys = Path.Combine(Path.GetTempPath(), "vyra-hosting-keys-" + Guid.NewGuid().ToString("N"));

    public SignatureHostingTests() => Directory.CreateDirectory(_keys);

    public void Dispose()
    {
        _publisher.Dispose();
        _pool.Dispose();
        Directory.Delete(_keys, recursive: true);
    }

    private static string Manifest(string id) => $$"""{"id":"{{id}}","version":"1.0.0","exports":[{"name":"v","args":[],"returns":"i32"}]}""";

    /// <summary>A plugin in the pool, signed by the publisher when <paramref name="sign"/>; returns its folder.</summary>
    private string AddPlugin(string id, bool sign = true)
    {
        _pool.Add(id, Manifest(id), Wat);
        var folder = Path.Combine(_pool.Root, id, "1.0.0");
        if (sign) PluginSignatures.Sign(folder, _publisher);
        return folder;
    }

    /// <summary>The publisher's public key as a PEM file, given relative to the content root (how an operator writes it).</summary>
    private string PublicKeyFile()
    {
        var file = Path.Combine(_keys, "publisher.public.pem");
        File.WriteAllText(file, _publisher.ExportSubjectPublicKeyInfoPem());
        return Path.GetRelativePath(AppContext.BaseDirectory, file);
    }

    private Dictionary<string, string?> Config(string mode, params (string Key, string Value)[] pairs)
    {
        var config = new Dictionary<string, string?>
        {
            ["Vyra:Plugins:Pools:0"] = _pool.Root,
            ["Vyra:Plugins:Signatures:Mode"] = mode,
        };
        foreach (var (key, value) in pairs) config[key] = value;
        return config;
    }

    private static async Task<int> CallV(IHost host, string id)
    {
        var runtime = await host.Services.GetRequiredService<IPluginRuntimes>().GetStartedAsync(id);
        return Convert.ToInt32((await runtime.CallAsync("v").AsTask().WaitAsync(HangGuard))["result"]);
    }

    [Fact]
    public async Task A_signed_pool_under_Require_serves_with_a_key_file_or_inline_PEM()
    {
        AddPlugin("signed-a");
        var fromFile = Config("Require", ("Vyra:Plugins:Signatures:TrustedKeys:0", PublicKeyFile()), ("Vyra:Plugins:ById:signed-a:AutoStart", "true"));
        var inline = Config("require", ("Vyra:Plugins:Signatures:TrustedKeys", _publisher.ExportSubjectPublicKeyInfoPem()), ("Vyra:Plugins:ById:signed-a:AutoStart", "true"));
        foreach (var config in new[] { fromFile, inline })
        {
            var builder = Fixtures.NewHost(config);
            builder.Services.AddVyraPlugins();
            using var host = builder.Build();
            await host.StartAsync().WaitAsync(HangGuard);
            Assert.Equal(7, await CallV(host, "signed-a"));
            var registry = host.Services.GetRequiredService<PluginRuntimeRegistry>();
            Assert.Equal(SignatureMode.Require, registry.Catalog.Signatures.Mode);
            var options = registry.CreateContext("signed-a").Options;
            Assert.Equal(SignatureMode.Require, options.Signatures.Mode);
            Assert.Equal(TrustedKey.FromKey(_publisher).KeyId, Assert.Single(options.Signatures.TrustedKeys).KeyId);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_tampered_plugin_under_Require_is_refused_and_the_health_check_says_why()
    {
        AddPlugin("good");
        var tampered = AddPlugin("tampered");
        File.WriteAllText(Path.Combine(tampered, "logic.wat"), Wat.Replace("i32.const 7", "i32.const 8"));
        var builder = Fixtures.NewHost(Config("Require",
            ("Vyra:Plugins:Signatures:TrustedKeys:0", PublicKeyFile()),
            ("Vyra:Plugins:FailOnStartError", "false"),
            ("Vyra:Plugins:ById:tampered:AutoStart", "true"),
            ("Vyra:Plugins:ById:good:AutoStart", "true")));
        builder.Services.AddVyraPlugins();
        builder.Services.AddHealthChecks().AddVyraPluginHealthCheck("tampered").AddVyraPluginHealthCheck("good");
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(HangGuard);

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, report.Entries["vyra-plugin:good"].Status);
        var refused = report.Entries["vyra-plugin:tampered"];
        Assert.Equal(HealthStatus.Unhealthy, refused.Status);
        Assert.Contains("logic.wat was changed after signing", refused.Description);
        var entry = Assert.Single(host.Services.GetRequiredService<IPluginRuntimes>().Plugins, e => e.Id == "tampered");
        Assert.False(entry.IsValid);

        // Nothing runs it on demand either: the caller gets the same reason.
        var ex = await Assert.ThrowsAsync<PluginLoadException>(() => CallV(host, "tampered"));
        Assert.Contains("changed after signing", ex.Message);
        Assert.Equal(7, await CallV(host, "good"));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_module_changed_after_discovery_is_refused_by_the_runtime_start()
    {
        // The catalog saw a valid signature; the runtime the host creates checks again at its start with the same policy.
        var folder = AddPlugin("late");
        var builder = Fixtures.NewHost(Config("Require", ("Vyra:Plugins:Signatures:TrustedKeys:0", PublicKeyFile())));
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(HangGuard);
        var plugins = host.Services.GetRequiredService<IPluginRuntimes>();
        Assert.True(Assert.Single(plugins.Plugins, e => e.Id == "late").IsValid);

        File.WriteAllText(Path.Combine(folder, "logic.wat"), Wat.Replace("i32.const 7", "i32.const 9"));
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await plugins.GetStartedAsync("late").AsTask().WaitAsync(HangGuard));
        Assert.Contains("logic.wat was changed after signing", ex.Message);
        Assert.False(plugins.Get("late").IsRunning);
        await host.StopAsync();
    }

    [Fact]
    public async Task Under_Require_a_failed_start_names_the_reason_in_the_host_exception()
    {
        AddPlugin("unsigned", sign: false);
        var builder = Fixtures.NewHost(Config("Require",
            ("Vyra:Plugins:Signatures:TrustedKeys:0", PublicKeyFile()),
            ("Vyra:Plugins:ById:unsigned:AutoStart", "true")));
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<VyraPluginStartException>(() => host.StartAsync().WaitAsync(HangGuard));
        Assert.Contains("unsigned", ex.Message);
        Assert.Contains("signature", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_unsigned_plugin_under_WarnUnsigned_serves_with_a_warning()
    {
        var folder = AddPlugin("plain", sign: false);
        AddPlugin("signed-b");
        var logs = new ListLoggerProvider();
        var builder = Fixtures.NewHost(Config("WarnUnsigned",
            ("Vyra:Plugins:Signatures:TrustedKeys:0", PublicKeyFile()),
            ("Vyra:Plugins:StartAll", "true")), logs);
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(HangGuard);

        Assert.Equal(7, await CallV(host, "plain"));
        Assert.Equal(7, await CallV(host, "signed-b"));
        var warnings = logs.Entries.Where(e => e.Level == LogLevel.Warning && e.Message.Contains("is not signed")).ToList();
        Assert.NotEmpty(warnings);
        Assert.All(warnings, w => Assert.Contains("plain", w.Message));
        Assert.Contains(warnings, w => w.Message.Contains(folder));
        await host.StopAsync();
    }

    private static async Task<string> StartFailsAsync(Dictionary<string, string?> config, Action<VyraPluginsOptions>? code = null)
    {
        var builder = Fixtures.NewHost(config);
        builder.Services.AddVyraPlugins(code);
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(HangGuard));
        return ex.Message;
    }

    [Fact]
    public async Task An_unknown_mode_fails_the_start_naming_its_key()
    {
        var message = await StartFailsAsync(Config("Strict", ("Vyra:Plugins:Signatures:TrustedKeys:0", PublicKeyFile())));
        Assert.Contains("Vyra:Plugins:Signatures:Mode", message);
        Assert.Contains("'Strict' is not a signature mode", message);

        // A number names no mode, though Enum.TryParse would take it.
        message = await StartFailsAsync(Config("2", ("Vyra:Plugins:Signatures:TrustedKeys:0", PublicKeyFile())));
        Assert.Contains("Vyra:Plugins:Signatures:Mode", message);

        message = await StartFailsAsync(Config("Require", ("Vyra:Plugins:Signatures:Keys", "x")));
        Assert.Contains("Vyra:Plugins:Signatures:Keys: unknown signature setting", message);
    }

    [Fact]
    public async Task A_missing_key_file_fails_the_start_naming_its_key()
    {
        var message = await StartFailsAsync(Config("Require",
            ("Vyra:Plugins:Signatures:TrustedKeys:0", PublicKeyFile()),
            ("Vyra:Plugins:Signatures:TrustedKeys:1", Path.Combine(_keys, "nobody.public.pem"))));
        Assert.Contains("Vyra:Plugins:Signatures:TrustedKeys:1", message);
        Assert.Contains("does not exist", message);
        Assert.DoesNotContain("TrustedKeys:0", message);
    }

    [Fact]
    public async Task A_private_key_given_as_trusted_fails_the_start_without_echoing_it()
    {
        var privateFile = Path.Combine(_keys, "publisher.private.pem");
        var privatePem = _publisher.ExportPkcs8PrivateKeyPem();
        File.WriteAllText(privateFile, privatePem);
        foreach (var value in new[] { privateFile, privatePem })
        {
            var message = await StartFailsAsync(Config("WarnUnsigned", ("Vyra:Plugins:Signatures:TrustedKeys:0", value)));
            Assert.Contains("Vyra:Plugins:Signatures:TrustedKeys:0", message);
            Assert.Contains("not a trusted public key", message);
            Assert.Contains("PRIVATE KEY", message); // the PEM label, which says what was given
            var secretLine = privatePem.Split('\n')[1];
            Assert.DoesNotContain(secretLine, message);
        }
    }

    [Fact]
    public async Task Other_unusable_keys_and_a_mode_without_keys_fail_the_start()
    {
        var rsaFile = Path.Combine(_keys, "rsa.public.pem");
        using (var rsa = RSA.Create(2048)) File.WriteAllText(rsaFile, rsa.ExportSubjectPublicKeyInfoPem());
        var garbage = Path.Combine(_keys, "garbage.pem");
        File.WriteAllText(garbage, "not a key");
        var huge = Path.Combine(_keys, "huge.pem");
        File.WriteAllBytes(huge, new byte[SignatureSettings.MaxKeyFileBytes + 1]);

        var message = await StartFailsAsync(Config("Require",
            ("Vyra:Plugins:Signatures:TrustedKeys:0", rsaFile),
            ("Vyra:Plugins:Signatures:TrustedKeys:1", garbage),
            ("Vyra:Plugins:Signatures:TrustedKeys:2", huge),
            ("Vyra:Plugins:Signatures:TrustedKeys:3", _keys)));
        for (var i = 0; i < 4; i++) Assert.Contains($"Vyra:Plugins:Signatures:TrustedKeys:{i}:", message);

        message = await StartFailsAsync(Config("Require"));
        Assert.Contains("Vyra:Plugins:Signatures:TrustedKeys: mode Require needs at least one trusted public key", message);

        // Set in code, the same rules apply.
        message = await StartFailsAsync(Config("Off"), o =>
        {
            o.Signatures.Mode = SignatureMode.WarnUnsigned;
        });
        Assert.Contains("Vyra:Plugins:Signatures:TrustedKeys", message);
    }

    [Fact]
    public async Task Off_reads_no_signature_and_keeps_the_default()
    {
        var folder = AddPlugin("anything", sign: false);
        File.WriteAllBytes(Path.Combine(folder, PluginSignatures.FileName), [1, 2, 3]); // malformed, never read
        var builder = Fixtures.NewHost(new Dictionary<string, string?> { ["Vyra:Plugins:Pools:0"] = _pool.Root });
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(HangGuard);
        Assert.Equal(7, await CallV(host, "anything"));
        Assert.Equal(SignatureMode.Off, host.Services.GetRequiredService<PluginRuntimeRegistry>().CreateContext("anything").Options.Signatures.Mode);
        await host.StopAsync();
    }
}
