using System.Text.Json;

namespace Vyra.Cli.Tests;

/// <summary><c>vyra keygen</c>, <c>sign</c> and <c>verify</c> on copies of the samples, run as processes.</summary>
public sealed class SigningTests
{
    private static JsonElement Document(ToolResult run)
    {
        using var doc = JsonDocument.Parse(run.Stdout);
        return doc.RootElement.Clone();
    }

    /// <summary>A key pair at <c>&lt;temp&gt;/&lt;name&gt;.{private,public}.pem</c>; returns the prefix.</summary>
    private static string Keygen(TempFolder temp, string name = "publisher")
    {
        var prefix = Path.Combine(temp.Path, name);
        var run = VyraTool.Run("keygen", "--out", prefix);
        Assert.True(run.ExitCode == 0, run.ToString());
        return prefix;
    }

    [Fact]
    public void Keygen_writes_a_private_key_only_its_owner_can_read_and_a_public_key()
    {
        using var temp = new TempFolder();
        var prefix = Path.Combine(temp.Path, "k");
        var run = VyraTool.Run("keygen", "--out", prefix, "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        var doc = Document(run);
        Assert.Equal(64, doc.GetProperty("key_id").GetString()!.Length);
        Assert.Equal(prefix + ".private.pem", doc.GetProperty("private_key").GetString());
        Assert.Contains("-----BEGIN PRIVATE KEY-----", File.ReadAllText(prefix + ".private.pem"));
        Assert.Contains("-----BEGIN PUBLIC KEY-----", File.ReadAllText(prefix + ".public.pem"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(prefix + ".private.pem"));
        }

        // An existing key is never overwritten by accident.
        var again = VyraTool.Run("keygen", "--out", prefix);
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains("exists; --force replaces it", again.Stderr);
        var forced = VyraTool.Run("keygen", "--out", prefix, "--force", "--json");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.NotEqual(doc.GetProperty("key_id").GetString(), Document(forced).GetProperty("key_id").GetString());
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(prefix + ".private.pem"));
    }

    [Fact]
    public void Sign_then_verify_passes_and_a_tampered_module_or_manifest_fails_naming_the_file()
    {
        using var temp = new TempFolder();
        var key = Keygen(temp);
        var plugin = temp.CopySample("math-kit");

        var sign = VyraTool.Run("sign", plugin, "--key", key + ".private.pem");
        Assert.True(sign.ExitCode == 0, sign.ToString());
        Assert.Contains("covers  metadata.json, logic.wasm", sign.Stdout);
        Assert.True(File.Exists(Path.Combine(plugin, "signature.bin")));

        var verify = VyraTool.Run("verify", plugin, "--trusted", key + ".public.pem");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("✓", verify.Stdout);

        // The signed folder runs as a plugin (the signature file is no obstacle to an unverifying host).
        var call = VyraTool.Run("call", plugin, "divmod", "a=17", "b=5");
        Assert.True(call.ExitCode == 0, call.ToString());

        var module = Path.Combine(plugin, "logic.wasm");
        var original = File.ReadAllBytes(module);
        File.WriteAllBytes(module, [.. original, 0]);
        var tampered = VyraTool.Run("verify", plugin, "--trusted", key + ".public.pem", "--json");
        Assert.True(tampered.ExitCode == 1, tampered.ToString());
        var doc = Document(tampered);
        Assert.False(doc.GetProperty("valid").GetBoolean());
        Assert.Contains("the module logic.wasm was changed after signing", doc.GetProperty("problem").GetString());
        Assert.Equal(JsonValueKind.Null, doc.GetProperty("key_id").ValueKind);

        File.WriteAllBytes(module, original);
        File.AppendAllText(Path.Combine(plugin, "metadata.json"), "\n");
        var manifest = VyraTool.Run("verify", plugin, "--trusted", key + ".public.pem");
        Assert.True(manifest.ExitCode == 1, manifest.ToString());
        Assert.Contains("the manifest metadata.json was changed after signing", manifest.Stdout);
    }

    [Fact]
    public void Verify_refuses_an_untrusted_key_an_unsigned_folder_and_garbage()
    {
        using var temp = new TempFolder();
        var publisher = Keygen(temp, "publisher");
        var stranger = Keygen(temp, "stranger");
        var plugin = temp.CopySample("counter-widget");

        var unsigned = VyraTool.Run("verify", plugin, "--trusted", publisher + ".public.pem", "--json");
        Assert.True(unsigned.ExitCode == 1, unsigned.ToString());
        Assert.Contains("the plugin is not signed (no signature.bin)", Document(unsigned).GetProperty("problem").GetString());

        Assert.Equal(0, VyraTool.Run("sign", plugin, "--key", stranger + ".private.pem").ExitCode);
        var untrusted = VyraTool.Run("verify", plugin, "--trusted", publisher + ".public.pem");
        Assert.True(untrusted.ExitCode == 1, untrusted.ToString());
        Assert.Contains("which is not a trusted key", untrusted.Stdout);
        // Either of several trusted keys will do.
        var either = VyraTool.Run("verify", plugin, "--trusted", publisher + ".public.pem", "--trusted", stranger + ".public.pem");
        Assert.True(either.ExitCode == 0, either.ToString());

        File.WriteAllText(Path.Combine(plugin, "signature.bin"), "<html>not a signature</html>");
        var garbage = VyraTool.Run("verify", plugin, "--trusted", publisher + ".public.pem");
        Assert.True(garbage.ExitCode == 1, garbage.ToString());
        Assert.Contains("signature.bin: malformed signature file: it does not start with the magic 'VYRA-SIG'", garbage.Stdout);
    }

    [Fact]
    public void Validate_with_trusted_keys_gates_a_pool_on_signatures()
    {
        using var temp = new TempFolder();
        var key = Keygen(temp);
        var signedPlugin = temp.CopySample("math-kit");
        temp.CopySample("counter-widget");
        Assert.Equal(0, VyraTool.Run("sign", signedPlugin, "--key", key + ".private.pem").ExitCode);

        var required = VyraTool.Run("validate", temp.Path, "--trusted", key + ".public.pem");
        Assert.True(required.ExitCode == 1, required.ToString());
        Assert.Contains("✓ math-kit 1.0.0", required.Stdout);
        Assert.Contains("✗ counter-widget 1.0.0", required.Stdout);
        Assert.Contains("the plugin is not signed (no signature.bin)", required.Stdout);

        var warned = VyraTool.Run("validate", temp.Path, "--trusted", key + ".public.pem", "--signatures", "warn");
        Assert.True(warned.ExitCode == 0, warned.ToString());

        File.AppendAllText(Path.Combine(signedPlugin, "metadata.json"), " ");
        var tampered = VyraTool.Run("validate", temp.Path, "--trusted", key + ".public.pem", "--signatures", "warn", "--json");
        Assert.True(tampered.ExitCode == 1, tampered.ToString());
        Assert.Contains("the manifest metadata.json was changed after signing", tampered.Stdout);

        var keyless = VyraTool.Run("validate", temp.Path, "--signatures", "warn");
        Assert.True(keyless.ExitCode == 2, keyless.ToString());
    }

    [Fact]
    public void Wrong_key_files_are_usage_errors()
    {
        using var temp = new TempFolder();
        var key = Keygen(temp);
        var plugin = temp.CopySample("math-kit");

        var publicAsPrivate = VyraTool.Run("sign", plugin, "--key", key + ".public.pem");
        Assert.True(publicAsPrivate.ExitCode == 2, publicAsPrivate.ToString());
        Assert.Contains("no private key PEM block", publicAsPrivate.Stderr);
        Assert.False(File.Exists(Path.Combine(plugin, "signature.bin")));

        var privateAsTrusted = VyraTool.Run("verify", plugin, "--trusted", key + ".private.pem", "--json");
        Assert.True(privateAsTrusted.ExitCode == 2, privateAsTrusted.ToString());
        Assert.Contains("not 'PUBLIC KEY'", Document(privateAsTrusted).GetProperty("error").GetProperty("message").GetString());

        var missing = VyraTool.Run("verify", plugin);
        Assert.True(missing.ExitCode == 2, missing.ToString());
        var noFolder = VyraTool.Run("sign", Path.Combine(temp.Path, "nope"), "--key", key + ".private.pem");
        Assert.True(noFolder.ExitCode == 2, noFolder.ToString());
    }
}
