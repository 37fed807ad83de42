using System.CommandLine;
using Vyra.Cli.Infrastructure;
using Vyra.Sdk;

namespace Vyra.Cli.Commands;

/// <summary>
/// <c>vyra verify &lt;plugin-folder&gt; --trusted &lt;public.pem&gt;...</c>: the check a host with
/// <see cref="SignatureMode.Require"/> runs, as a verdict: 0 when a trusted key signed exactly these files, 1 otherwise.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("plugin-folder") { Description = "A plugin version folder holding logic.wasm (or logic.wat), its manifest and signature.bin." };
        var trusted = new Option<string[]>("--trusted", "-t")
        {
            Description = "A trusted public key PEM (<prefix>.public.pem from 'vyra keygen'); repeatable.",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var json = JsonMode.CreateOption();
        var command = new Command("verify", "Verify a plugin folder's signature.bin against trusted public keys, as a host requiring signatures " +
            "would; 1 when it is unsigned, malformed, by an untrusted key, or the module or manifest changed after signing. " + ExitCodes.SeeTable)
        {
            folder, trusted, json,
        };
        command.SetAction((result, _) => CommandRunner.RunAsync(() => Task.FromResult(
            Run(result.GetRequiredValue(folder), result.GetRequiredValue(trusted), result.GetValue(json))), result.GetValue(json)));
        return command;
    }

    private static int Run(string folderArg, string[] trustedPaths, bool json)
    {
        var folder = SignedFolder.Resolve(folderArg);
        var keys = trustedPaths.Select(KeyFiles.ReadPublic).ToArray();
        PluginSignatureInfo? info = null;
        string? problem = null;
        try
        {
            info = PluginSignatures.Verify(folder, SignaturePolicy.Require(keys));
        }
        catch (PluginLoadException ex)
        {
            // The verdict, not a failure of the tool: reported like validate reports an invalid plugin.
            problem = ex.Message;
        }
        if (json)
        {
            JsonMode.Write(SignedFolder.Report(folder, info, valid: info is not null, problem));
        }
        else if (info is not null)
        {
            Console.Out.WriteLine($"✓ {folder}: signed by trusted key {info.KeyId}");
            Console.Out.WriteLine($"  covers  {string.Join(", ", info.Files)}");
        }
        else
        {
            Console.Out.WriteLine($"✗ {folder}");
            Console.Out.WriteLine($"    - {problem}");
        }
        return info is not null ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
