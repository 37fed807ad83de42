using System.CommandLine;
using Vyra.Cli.Infrastructure;
using Vyra.Sdk;

namespace Vyra.Cli.Commands;

/// <summary><c>vyra sign &lt;plugin-folder&gt; --key &lt;private.pem&gt;</c>: writes the folder's <c>signature.bin</c>.</summary>
internal static class SignCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("plugin-folder") { Description = "A plugin version folder holding logic.wasm (or logic.wat) and its manifest." };
        var key = new Option<string>("--key", "-k") { Description = "The private key PEM from 'vyra keygen' (<prefix>.private.pem).", Required = true };
        var json = JsonMode.CreateOption();
        var command = new Command("sign", "Sign a plugin folder: writes signature.bin over its manifest(s) and module (ECDSA P-256, docs/signing.md). " + ExitCodes.SeeTable)
        {
            folder, key, json,
        };
        command.SetAction((result, _) => CommandRunner.RunAsync(() => Task.FromResult(
            Run(result.GetRequiredValue(folder), result.GetRequiredValue(key), result.GetValue(json))), result.GetValue(json)));
        return command;
    }

    private static int Run(string folderArg, string keyPath, bool json)
    {
        var folder = SignedFolder.Resolve(folderArg);
        using var key = KeyFiles.ReadPrivate(keyPath);
        var info = PluginSignatures.Sign(folder, key);
        if (json)
        {
            JsonMode.Write(SignedFolder.Report(folder, info, valid: null, problem: null));
            return ExitCodes.Ok;
        }
        Console.Out.WriteLine($"signed {folder} with key {info.KeyId}");
        Console.Out.WriteLine($"  covers  {string.Join(", ", info.Files)}");
        Console.Out.WriteLine($"  wrote   {info.SignaturePath}");
        return ExitCodes.Ok;
    }
}
