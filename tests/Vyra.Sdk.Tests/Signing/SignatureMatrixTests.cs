using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Signing;

/// <summary>
/// The signature matrix at both load paths that read a plugin folder: a start through the factory
/// (<see cref="PluginRuntime.Create(string, string, IHostFunctions?, IReadOnlyDictionary{string, object?}?, PluginRuntimeOptions?)"/>)
/// and catalog discovery. Real files, real keys, real Wasmtime.
/// </summary>
public sealed class SignatureMatrixTests : IDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(15);
    private readonly string _pool = Path.Combine(Path.GetTempPath(), "vyra-sign-pool", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_pool)) Directory.Delete(_pool, recursive: true);
    }

    /// <summary>A plugin laid out in a pool (<c>&lt;pool&gt;/signed/1.0.0</c>), signed by the publisher unless told otherwise.</summary>
    private string PoolPlugin(bool sign = true, ECDsa? by = null)
    {
        var dir = Path.Combine(_pool, "signed", "1.0.0");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "logic.wat"), SigningKeys.Wat);
        File.WriteAllText(Path.Combine(dir, "metadata.json"), SigningKeys.Manifest);
        if (sign) PluginSignatures.Sign(dir, by ?? SigningKeys.Publisher);
        return dir;
    }

    private static async Task<(int Result, ListLoggerFactory Log)> StartAndCall(string folder, SignaturePolicy policy)
    {
        var log = new ListLoggerFactory();
        await using var runtime = PluginRuntime.Create("signed", Path.Combine(folder, "logic.wat"),
            options: new PluginRuntimeOptions { Signatures = policy, LoggerFactory = log, StubFallback = StubFallback.Refuse });
        await runtime.StartAsync();
        return ((int)(await runtime.CallAsync("v"))["result"]!, log);
    }

    private static async Task<PluginLoadException> StartFails(string folder, SignaturePolicy policy)
    {
        await using var runtime = PluginRuntime.Create("signed", Path.Combine(folder, "logic.wat"),
            options: new PluginRuntimeOptions { Signatures = policy, StubFallback = StubFallback.Refuse });
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync().AsTask().WaitAsync(HangGuard));
        Assert.False(runtime.IsRunning);
        return ex;
    }

    private string CatalogProblem(SignaturePolicy policy)
    {
        var entry = Assert.Single(PluginCatalog.Discover([_pool], policy).Entries);
        Assert.False(entry.IsValid, "the catalog accepted the plugin");
        return string.Join("\n", entry.Problems);
    }

    /// <summary>Runs a refusal at both load paths under both modes that read signatures; returns the start's exception.</summary>
    private async Task<PluginLoadException> RefusedEverywhere(string folder, string expected)
    {
        PluginLoadException? first = null;
        foreach (var mode in new[] { SignatureMode.Require, SignatureMode.WarnUnsigned })
        {
            var ex = await StartFails(folder, SigningKeys.Policy(mode));
            Assert.Contains(expected, ex.Message);
            Assert.Contains(expected, CatalogProblem(SigningKeys.Policy(mode)));
            first ??= ex;
        }
        return first!;
    }

    [Fact]
    public async Task A_valid_signature_by_a_trusted_key_loads_under_every_mode()
    {
        var folder = PoolPlugin();
        foreach (var mode in Enum.GetValues<SignatureMode>())
        {
            var (result, log) = await StartAndCall(folder, SigningKeys.Policy(mode));
            Assert.Equal(7, result);
            Assert.DoesNotContain(log.Lines, l => l.Level >= LogLevel.Warning);
            Assert.True(PluginCatalog.Discover([_pool], SigningKeys.Policy(mode)).Find("signed") is { IsValid: true });
        }
        var info = PluginSignatures.Verify(folder, SigningKeys.Policy(SignatureMode.Require))!;
        Assert.Equal(SigningKeys.PublisherKey.KeyId, info.KeyId);
        Assert.Equal(["metadata.json", "logic.wat"], info.Files);
        Assert.StartsWith("sha256:", info.Digest);
    }

    [Fact]
    public async Task A_runtime_from_a_catalog_verifies_again_at_start_with_the_catalog_s_policy()
    {
        var folder = PoolPlugin();
        var catalog = PluginCatalog.Discover([_pool], SigningKeys.Policy(SignatureMode.Require));
        Assert.True(catalog.Find("signed") is { IsValid: true });
        File.WriteAllText(Path.Combine(folder, "logic.wat"), SigningKeys.Wat.Replace("i32.const 7", "i32.const 8"));

        await using var runtime = catalog.CreateRuntime("signed"); // options without a policy: the catalog's applies
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains("the module logic.wat was changed after signing", ex.Message);
    }

    [Fact]
    public async Task A_tampered_module_is_refused_naming_the_module()
    {
        var folder = PoolPlugin();
        File.WriteAllText(Path.Combine(folder, "logic.wat"), SigningKeys.Wat.Replace("i32.const 7", "i32.const 8"));
        var ex = await RefusedEverywhere(folder, "the module logic.wat was changed after signing");
        Assert.Equal(Path.Combine(folder, "logic.wat"), ex.FilePath);
        Assert.Contains(SigningKeys.PublisherKey.KeyId, ex.Message);
    }

    [Fact]
    public async Task A_tampered_manifest_is_refused_naming_the_manifest()
    {
        var folder = PoolPlugin();
        File.WriteAllText(Path.Combine(folder, "metadata.json"), SigningKeys.Manifest.Replace("\"args\":[]", "\"args\":[] "));
        var ex = await RefusedEverywhere(folder, "the manifest metadata.json was changed after signing");
        Assert.Equal(Path.Combine(folder, "metadata.json"), ex.FilePath);
        Assert.DoesNotContain("logic.wat was changed", ex.Message);
    }

    [Fact]
    public async Task A_manifest_added_after_signing_is_refused_as_uncovered()
    {
        var folder = PoolPlugin();
        File.WriteAllText(Path.Combine(folder, "manifest.yaml"), "id: signed\nname: Signed\nversion: 1.0.0\nscope: {type: MODULE, target: x}\n");
        var ex = await RefusedEverywhere(folder, "the manifest manifest.yaml is not covered by the signature");
        Assert.Equal(Path.Combine(folder, "manifest.yaml"), ex.FilePath);
    }

    [Fact]
    public async Task A_signed_manifest_that_was_removed_is_refused()
    {
        var folder = PoolPlugin();
        File.Delete(Path.Combine(folder, "metadata.json"));
        var ex = await StartFails(folder, SigningKeys.Policy(SignatureMode.Require));
        Assert.Contains("the signed manifest metadata.json is not loaded: it is missing from the folder", ex.Message);
    }

    [Fact]
    public async Task Loading_another_module_of_a_signed_folder_is_refused()
    {
        var folder = PoolPlugin();
        File.Copy(Path.Combine(folder, "logic.wat"), Path.Combine(folder, "other.wat"));
        await using var runtime = new WasmRuntime("signed", Path.Combine(folder, "other.wat"), options: new PluginRuntimeOptions { Signatures = SigningKeys.Policy(SignatureMode.Require) });
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains("the module other.wat is not covered by the signature", ex.Message);
        Assert.Contains("the signed module logic.wat is not loaded", ex.Message);
    }

    [Fact]
    public async Task A_signature_by_an_untrusted_key_is_refused_naming_the_key()
    {
        var folder = PoolPlugin(by: SigningKeys.Stranger);
        var stranger = TrustedKey.FromKey(SigningKeys.Stranger).KeyId;
        var ex = await RefusedEverywhere(folder, $"signed by key {stranger}, which is not a trusted key");
        Assert.Equal(Path.Combine(folder, "signature.bin"), ex.FilePath);
    }

    [Fact]
    public async Task An_altered_signature_is_refused_as_not_verifying()
    {
        var folder = PoolPlugin();
        var path = Path.Combine(folder, "signature.bin");
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        await RefusedEverywhere(folder, "the signature does not verify with trusted key");
    }

    [Fact]
    public async Task Unsigned_plugins_load_silently_under_Off_with_a_warning_under_WarnUnsigned_and_are_refused_under_Require()
    {
        var folder = PoolPlugin(sign: false);

        var (off, offLog) = await StartAndCall(folder, SignaturePolicy.Off);
        Assert.Equal(7, off);
        Assert.DoesNotContain(offLog.Lines, l => l.Level >= LogLevel.Warning);

        var (warned, warnLog) = await StartAndCall(folder, SigningKeys.Policy(SignatureMode.WarnUnsigned));
        Assert.Equal(7, warned);
        Assert.Contains(warnLog.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("is not signed (no signature.bin)") && l.Message.Contains("WarnUnsigned"));
        var catalogLog = new ListLoggerFactory();
        Assert.True(PluginCatalog.Discover([_pool], SigningKeys.Policy(SignatureMode.WarnUnsigned), logger: catalogLog.CreateLogger("catalog")).Find("signed") is { IsValid: true });
        Assert.Contains(catalogLog.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("not signed"));

        var ex = await StartFails(folder, SigningKeys.Policy(SignatureMode.Require));
        Assert.Contains("the plugin is not signed (no signature.bin)", ex.Message);
        Assert.Contains("SignatureMode.Require", ex.Message);
        Assert.Equal(Path.Combine(folder, "signature.bin"), ex.FilePath);
        Assert.Contains("the plugin is not signed", CatalogProblem(SigningKeys.Policy(SignatureMode.Require)));
    }

    [Fact]
    public async Task Upstream_s_empty_signature_bin_means_unsigned()
    {
        var folder = PoolPlugin(sign: false);
        File.WriteAllBytes(Path.Combine(folder, "signature.bin"), []);
        var (result, log) = await StartAndCall(folder, SigningKeys.Policy(SignatureMode.WarnUnsigned));
        Assert.Equal(7, result);
        Assert.Contains(log.Lines, l => l.Message.Contains("signature.bin is empty"));
        Assert.Contains("signature.bin is empty", (await StartFails(folder, SigningKeys.Policy(SignatureMode.Require))).Message);
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "garbage", "does not start with the magic 'VYRA-SIG'" },
        { "truncated", "it ends inside" },
        { "version", "format version 9 is not supported" },
        { "algorithm", "algorithm 7 is not supported" },
        { "trailing", "1 bytes follow the signature" },
        { "no-files", "it lists 0 signed files" },
        { "path-name", "is not a plain file name" },
        { "signature-length", "the signature length is 65" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_malformed_signature_bin_is_refused_under_every_mode_that_reads_it(string damage, string expected)
    {
        var folder = PoolPlugin();
        var path = Path.Combine(folder, "signature.bin");
        var good = File.ReadAllBytes(path);
        var bad = damage switch
        {
            "garbage" => RandomNumberGenerator.GetBytes(200),
            "truncated" => good[..(good.Length / 2)],
            "version" => With(good, 8, 9),
            "algorithm" => With(good, 9, 7),
            "trailing" => [.. good, 0],
            "no-files" => [.. good[..42], 0, 0, 64, .. good[^64..]],
            "path-name" => Replace(good, "metadata.json"u8.ToArray(), "../etc/passw"u8.ToArray().Concat("d"u8.ToArray()).ToArray()),
            "signature-length" => [.. good[..^66], 0, 65, .. good[^64..], 0],
            _ => throw new ArgumentOutOfRangeException(nameof(damage)),
        };
        File.WriteAllBytes(path, bad);
        var ex = await RefusedEverywhere(folder, "malformed signature file");
        Assert.Contains(expected, ex.Message);
        Assert.Equal(path, ex.FilePath);

        // Off reads nothing: the garbage is not even looked at.
        Assert.Equal(7, (await StartAndCall(folder, SignaturePolicy.Off)).Result);
    }

    [Fact]
    public async Task An_oversized_signature_bin_is_refused_by_its_size_before_it_is_read()
    {
        var folder = PoolPlugin();
        var path = Path.Combine(folder, "signature.bin");
        using (var file = new FileStream(path, FileMode.Create))
        {
            file.SetLength(2L << 30); // sparse: 2 GiB that take no disk and must take no memory
        }
        var ex = await RefusedEverywhere(folder, "at most 4096 are read");
        Assert.Contains("signature file", ex.Message);
    }

    [Fact]
    public async Task A_fifo_as_signature_bin_never_hangs_a_load()
    {
        if (!OperatingSystem.IsLinux()) return;
        var folder = PoolPlugin(sign: false);
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [Path.Combine(folder, "signature.bin")]) { UseShellExecute = false })!)
        {
            await mkfifo.WaitForExitAsync().WaitAsync(HangGuard);
            Assert.Equal(0, mkfifo.ExitCode);
        }
        var ex = await RefusedEverywhere(folder, "FIFO");
        Assert.Contains("signature file", ex.Message);
    }

    [Fact]
    public async Task The_bytes_compiled_must_be_the_bytes_verified()
    {
        // The engine remembers a module by path, length and write time and does not re-read an unchanged-looking file.
        // Fool that memory: compile a forged module B, then put the signed module G back with the same length and write
        // time. The signature check hashes G and passes; the engine would hand out B: the start must refuse.
        var folder = PoolPlugin();
        var module = Path.Combine(folder, "logic.wat");
        var when = File.GetLastWriteTimeUtc(module);
        var forged = SigningKeys.Wat.Replace("i32.const 7", "i32.const 8");
        File.WriteAllText(module, forged);
        File.SetLastWriteTimeUtc(module, when);
        // Kept running until the end: the engine's memory of B is weak, and a collection in between would make it
        // compile G afresh, which is not the case this test is about.
        await using var holder = PluginRuntime.Create("signed", module, options: new PluginRuntimeOptions { Signatures = SignaturePolicy.Off, StubFallback = StubFallback.Refuse });
        await holder.StartAsync();
        Assert.Equal(8, (int)(await holder.CallAsync("v"))["result"]!);
        File.WriteAllText(module, SigningKeys.Wat);
        File.SetLastWriteTimeUtc(module, when);

        var ex = await StartFails(folder, SigningKeys.Policy(SignatureMode.Require));
        Assert.Contains("the module changed while it was loaded", ex.Message);
    }

    [Fact]
    public void Every_single_byte_change_of_a_signature_bin_is_refused()
    {
        using var plugin = SigningKeys.Plugin();
        var path = plugin.SignaturePath();
        var good = File.ReadAllBytes(path);
        var policy = SigningKeys.Policy(SignatureMode.Require);
        for (var i = 0; i < good.Length; i++)
        {
            File.WriteAllBytes(path, With(good, i, (byte)(good[i] ^ 0x5A)));
            var ex = Assert.Throws<PluginLoadException>(() => PluginSignatures.Verify(plugin.Directory, policy));
            Assert.Contains(plugin.Directory, ex.Message);
        }
        File.WriteAllBytes(path, good);
        Assert.NotNull(PluginSignatures.Verify(plugin.Directory, policy));
    }

    [Fact]
    public void A_policy_that_reads_signatures_needs_a_trusted_key()
    {
        using var plugin = SigningKeys.Plugin();
        var keyless = new SignaturePolicy { Mode = SignatureMode.Require };
        Assert.Contains("TrustedKeys is empty", Assert.Throws<ArgumentException>(() => new WasmRuntime("p", plugin.ModulePath, options: new PluginRuntimeOptions { Signatures = keyless })).Message);
        Assert.Throws<ArgumentException>(() => PluginCatalog.Discover([_pool], keyless));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WasmRuntime("p", plugin.ModulePath, options: new PluginRuntimeOptions { Signatures = new SignaturePolicy { Mode = (SignatureMode)9, TrustedKeys = [SigningKeys.PublisherKey] } }));
    }

    private static byte[] With(byte[] bytes, int index, byte value)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] = value;
        return copy;
    }

    private static byte[] Replace(byte[] bytes, byte[] find, byte[] with)
    {
        Assert.Equal(find.Length, with.Length);
        var at = bytes.AsSpan().IndexOf(find);
        Assert.True(at >= 0);
        var copy = (byte[])bytes.Clone();
        with.CopyTo(copy, at);
        return copy;
    }
}
