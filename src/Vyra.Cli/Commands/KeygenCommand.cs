using System.CommandLine;
using System.Security.Cryptography;
using Vyra.Cli.Infrastructure;
using Vyra.Sdk;

namespace Vyra.Cli.Commands;

/// <summary><c>vyra keygen --out &lt;prefix&gt;</c>: a new ECDSA P-256 key pair for signing plugins (docs/signing.md).</summary>
internal static class KeygenCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out", "-o")
        {
            Description = "Path prefix of the key files: <prefix>.private.pem (mode 0600) and <prefix>.public.pem.",
            Required = true,
        };
        var force = new Option<bool>("--force") { Description = "Replace existing key files." };
        var json = JsonMode.CreateOption();
        var command = new Command("keygen", "Create an ECDSA P-256 key pair for signing plugins: <prefix>.private.pem (PKCS#8, readable by the " +
            "owner only) for 'vyra sign', <prefix>.public.pem for 'vyra verify' and PluginRuntimeOptions.Signatures; 1 when a key file exists. " + ExitCodes.SeeTable)
        {
            output, force, json,
        };
        command.SetAction((result, _) => CommandRunner.RunAsync(() => Task.FromResult(
            Run(result.GetRequiredValue(output), result.GetValue(force), result.GetValue(json))), result.GetValue(json)));
        return command;
    }

    private static int Run(string prefix, bool force, bool json)
    {
        if (string.IsNullOrWhiteSpace(prefix) || prefix.EndsWith('/') || prefix.EndsWith(Path.DirectorySeparatorChar))
            throw new UsageException("--out takes a path prefix such as keys/publisher (the files get .private.pem and .public.pem)");
        var full = Path.GetFullPath(prefix);
        var (privatePath, publicPath) = (KeyFiles.PrivatePath(full), KeyFiles.PublicPath(full));
        if (!Directory.Exists(Path.GetDirectoryName(full))) throw new UsageException($"--out {prefix}: the folder {Path.GetDirectoryName(full)} does not exist");
        foreach (var path in new[] { privatePath, publicPath })
        {
            if (File.Exists(path) && !force) throw new CommandFailedException($"{path} exists; --force replaces it");
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var trusted = TrustedKey.FromKey(key);
        KeyFiles.Write(privatePath, key.ExportPkcs8PrivateKeyPem() + "\n", force, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        KeyFiles.Write(publicPath, trusted.ToPem() + "\n", force,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        if (json)
        {
            JsonMode.Write(new Dictionary<string, object?> { ["key_id"] = trusted.KeyId, ["private_key"] = privatePath, ["public_key"] = publicPath });
            return ExitCodes.Ok;
        }
        Console.Out.WriteLine($"key id       {trusted.KeyId}");
        Console.Out.WriteLine($"private key  {privatePath}  (keep it secret: it signs plugins)");
        Console.Out.WriteLine($"public key   {publicPath}  (give it to hosts: vyra verify --trusted, PluginRuntimeOptions.Signatures)");
        return ExitCodes.Ok;
    }
}
