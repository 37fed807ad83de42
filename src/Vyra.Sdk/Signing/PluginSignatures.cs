using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Vyra.Sdk;

/// <summary>
/// Signs a plugin folder and verifies its signature (docs/signing.md). A signature is ECDSA P-256 over SHA-256 of a
/// canonical statement naming the folder's manifest files and its module with their lengths and SHA-256; it is kept in
/// <c>signature.bin</c> beside the manifest, the file upstream reserved. Loads verify it as
/// <see cref="PluginRuntimeOptions.Signatures"/> says: at every start of a <see cref="WasmRuntime"/> and in
/// <see cref="PluginCatalog.Discover(IEnumerable{string}, SignaturePolicy, IHostFunctions?, ILogger?)"/>.
/// </summary>
public static class PluginSignatures
{
    /// <summary>The signature's file name in a plugin folder.</summary>
    public const string FileName = SignatureFile.FileName;

    /// <summary>
    /// Signs the plugin folder with <paramref name="privateKey"/> (ECDSA P-256): covers its <c>manifest.yaml</c> and
    /// <c>metadata.json</c> (those present) and its module (<c>logic.wasm</c>, else <c>logic.wat</c>), and writes
    /// <c>signature.bin</c> (replacing one that is there).
    /// </summary>
    /// <exception cref="PluginLoadException">The folder has no module, or a file cannot be read.</exception>
    /// <exception cref="ArgumentException">The key is not a P-256 key with its private part.</exception>
    public static PluginSignatureInfo Sign(string pluginFolder, ECDsa privateKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginFolder);
        ArgumentNullException.ThrowIfNull(privateKey);
        var publicKey = TrustedKey.FromKey(privateKey);
        var folder = Path.GetFullPath(pluginFolder);
        if (!Directory.Exists(folder)) throw new PluginLoadException($"{folder}: no such plugin folder", folder);
        var module = ModuleFile.InFolder(folder)
            ?? throw new PluginLoadException($"{folder}: nothing to sign: no {string.Join(" or ", ModuleFile.FolderNames)}", folder);
        var files = HashCovered(folder, module, PluginDigest.CoveredNames(folder, module));
        var statement = PluginDigest.Statement(files);
        byte[] signature;
        try
        {
            signature = privateKey.SignData(statement, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"the key cannot sign (is it a private key?): {ex.Message}", nameof(privateKey), ex);
        }
        var path = Path.Combine(folder, FileName);
        var bytes = new SignatureFile(publicKey.KeyIdBytes, files, signature).ToBytes();
        // Written beside and moved over: a reader never sees half a signature.
        var temp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return Info(publicKey.KeyId, path, files, statement);
    }

    /// <summary>
    /// Verifies the signature of the plugin folder (its module is <c>logic.wasm</c>, else <c>logic.wat</c>) as a load
    /// would under <paramref name="policy"/>. Returns the verified signature; null when <paramref name="policy"/> is
    /// <see cref="SignatureMode.Off"/> or the plugin is unsigned and the policy lets it load (a warning is logged).
    /// </summary>
    /// <exception cref="PluginLoadException">The signature is malformed, untrusted or does not match the files, or it is missing under <see cref="SignatureMode.Require"/>; the message says which and names the file.</exception>
    public static PluginSignatureInfo? Verify(string pluginFolder, SignaturePolicy policy, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginFolder);
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate(nameof(policy));
        var folder = Path.GetFullPath(pluginFolder);
        var module = ModuleFile.InFolder(folder)
            ?? throw new PluginLoadException($"{folder}: no {string.Join(" or ", ModuleFile.FolderNames)} to verify", folder);
        return Check(folder, module, policy, logger ?? NullLogger.Instance, Path.GetFileName(Path.GetDirectoryName(folder)) ?? folder)?.Info;
    }

    /// <summary>
    /// What a passed check proved: the signature, the module's SHA-256 it covers, and the manifest files' bytes as they
    /// were verified (by file name): a load parses these, never a second read of the folder.
    /// </summary>
    internal sealed record Verified(PluginSignatureInfo Info, byte[] ModuleSha256, IReadOnlyDictionary<string, byte[]> ManifestBytes);

    /// <summary>
    /// The check every load path runs: null when the policy is off or the plugin is unsigned and may load; the
    /// verified signature otherwise; a <see cref="PluginLoadException"/> saying what is wrong.
    /// </summary>
    internal static Verified? Check(string folder, string modulePath, SignaturePolicy policy, ILogger logger, string pluginId)
    {
        if (policy.Mode == SignatureMode.Off) return null;
        var path = Path.Combine(folder, FileName);
        var bytes = File.Exists(path) || Directory.Exists(path) ? BoundedFile.Read(path, SignatureFile.MaxBytes, "signature file") : null;
        if (bytes is not { Length: > 0 })
        {
            // Upstream ships an empty signature.bin in every plugin: that placeholder means "unsigned", not "malformed".
            var why = bytes is null ? $"no {FileName}" : $"{FileName} is empty";
            if (policy.Mode == SignatureMode.Require)
                throw new PluginLoadException($"{path}: the plugin is not signed ({why}); the signature policy requires a signature by a trusted key (SignatureMode.Require)", path);
            logger.LogWarning("Plugin {PluginId} in {Folder} is not signed ({Reason}): loaded anyway (SignatureMode.WarnUnsigned)", pluginId, folder, why);
            return null;
        }
        var file = SignatureFile.Parse(bytes, out var problem)
            ?? throw new PluginLoadException($"{path}: malformed signature file: {problem}", path);
        var keyId = Convert.ToHexString(file.KeyId).ToLowerInvariant();
        var key = policy.Find(file.KeyId)
            ?? throw new PluginLoadException($"{path}: signed by key {keyId}, which is not a trusted key (SignaturePolicy.TrustedKeys)", path);
        var statement = PluginDigest.Statement(file.Files);
        using (var ecdsa = key.Open())
        {
            if (!ecdsa.VerifyData(statement, file.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                throw new PluginLoadException($"{path}: the signature does not verify with trusted key {keyId}: {FileName} was altered after signing", path);
        }
        // The statement is authentic; now the folder must hold exactly the files it names, with the same bytes.
        var problems = new List<(string Path, string Message)>();
        var expected = PluginDigest.CoveredNames(folder, modulePath);
        var moduleName = Path.GetFileName(modulePath);
        var signedNames = string.Join(", ", file.Files.Select(f => f.Name));
        foreach (var signed in file.Files.Where(f => !expected.Contains(f.Name)))
        {
            var what = PluginDigest.ManifestNames.Contains(signed.Name) ? "manifest" : "module";
            problems.Add((Path.Combine(folder, signed.Name), $"the signed {what} {signed.Name} is not loaded: " +
                (what == "manifest" ? "it is missing from the folder" : $"the module loaded is {moduleName}")));
        }
        byte[]? moduleHash = null;
        var manifests = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in expected)
        {
            var isModule = name == moduleName;
            var what = isModule ? "module" : "manifest";
            var filePath = Path.Combine(folder, name);
            var signed = file.Files.Where(f => f.Name == name).Select(f => (SignedFile?)f).FirstOrDefault();
            if (signed is null)
            {
                problems.Add((filePath, $"the {what} {name} is not covered by the signature (it covers {signedNames}): it was added or renamed after signing"));
                continue;
            }
            var actual = PluginDigest.Hash(folder, name, isModule, out var manifestBytes);
            if (manifestBytes is not null) manifests[name] = manifestBytes;
            if (actual.Length != signed.Value.Length || !actual.Sha256.AsSpan().SequenceEqual(signed.Value.Sha256))
            {
                problems.Add((filePath, $"the {what} {name} was changed after signing (it is {actual.Hex}, {actual.Length} bytes; the signature covers {signed.Value.Hex}, {signed.Value.Length} bytes)"));
            }
            if (isModule) moduleHash = actual.Sha256;
        }
        if (problems.Count > 0)
        {
            throw new PluginLoadException(
                $"{problems[0].Path}: the plugin does not match its signature by trusted key {keyId}: " + string.Join("; ", problems.Select(p => p.Path == problems[0].Path ? p.Message : $"{p.Path}: {p.Message}")),
                problems[0].Path);
        }
        return new Verified(Info(keyId, path, file.Files, statement), moduleHash!, manifests);
    }

    private static List<SignedFile> HashCovered(string folder, string modulePath, List<string> names) =>
        [.. names.Select(n => PluginDigest.Hash(folder, n, isModule: n == Path.GetFileName(modulePath)))];

    private static PluginSignatureInfo Info(string keyId, string path, IReadOnlyList<SignedFile> files, byte[] statement) =>
        new(keyId, path, [.. files.Select(f => f.Name)], "sha256:" + Convert.ToHexString(SHA256.HashData(statement)).ToLowerInvariant());
}
