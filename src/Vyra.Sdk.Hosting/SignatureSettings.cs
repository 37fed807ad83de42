namespace Vyra.Sdk.Hosting;

/// <summary>
/// The signature policy of a hosted application (<c>Vyra:Plugins:Signatures</c>, docs/signing.md): applied to the
/// catalog's discovery, to every runtime the host creates and so to every hot swap. Example:
/// <code>
/// "Signatures": { "Mode": "Require", "TrustedKeys": [ "keys/publisher.public.pem" ] }
/// </code>
/// A bad setting (an unknown mode, a key file that is missing or is not a public key, a private key, a mode other than
/// <c>Off</c> without a key) fails the host's start with an
/// <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> naming the configuration key.
/// </summary>
public sealed class SignatureSettings
{
    /// <summary>The largest key file read (a public key PEM is a few hundred bytes; a bigger file is not a key).</summary>
    public const int MaxKeyFileBytes = 64 * 1024;

    /// <summary>What to do with unsigned plugins and signatures; null means <see cref="SignatureMode.Off"/>.</summary>
    public SignatureMode? Mode { get; set; }

    /// <summary>
    /// The public keys trusted to sign plugins, each either the path of a public key PEM file (what <c>vyra keygen</c>
    /// writes as <c>&lt;prefix&gt;.public.pem</c>; relative paths are taken from the host's content root, as for
    /// <see cref="VyraPluginsOptions.Pools"/>) or the PEM text itself (a value starting with <c>-----BEGIN</c>, for
    /// environment variables and secret stores). Only the public half: a private key is refused.
    /// </summary>
    public List<string> TrustedKeys { get; } = [];

    /// <summary>
    /// The kernel policy these settings stand for; every problem is added to <paramref name="errors"/> as
    /// <c>key: why</c>, with the configuration key under <paramref name="path"/>, and the policy is then null.
    /// </summary>
    internal SignaturePolicy? ToPolicy(string baseDirectory, string path, List<string> errors)
    {
        var before = errors.Count;
        var mode = Mode ?? SignatureMode.Off;
        if (!Enum.IsDefined(mode)) errors.Add($"{path}:{nameof(Mode)}: {(int)mode} is not a signature mode (known: {string.Join(", ", Enum.GetNames<SignatureMode>())})");
        var keys = new List<TrustedKey>();
        for (var i = 0; i < TrustedKeys.Count; i++)
        {
            if (Load(TrustedKeys[i], baseDirectory, $"{path}:{nameof(TrustedKeys)}:{i}", errors) is { } key) keys.Add(key);
        }
        if (mode != SignatureMode.Off && TrustedKeys.Count == 0)
        {
            errors.Add($"{path}:{nameof(TrustedKeys)}: mode {mode} needs at least one trusted public key (a PEM file path or the PEM text); nothing could ever verify");
        }
        return errors.Count > before ? null : new SignaturePolicy { Mode = mode, TrustedKeys = keys };
    }

    private static TrustedKey? Load(string entry, string baseDirectory, string key, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(entry))
        {
            errors.Add($"{key}: a trusted key must be a PEM file path or the PEM text");
            return null;
        }
        string pem;
        string source;
        if (entry.TrimStart().StartsWith("-----BEGIN", StringComparison.Ordinal))
        {
            pem = entry;
            source = "the inline PEM";
        }
        else
        {
            var file = Path.GetFullPath(entry.Trim(), baseDirectory);
            source = $"the key file '{file}'";
            try
            {
                // A key file is the operator's, but it is still read bounded: a wrong path (a log, a device) must not
                // make the host read gigabytes or block at start.
                var info = new FileInfo(file);
                if (Directory.Exists(file))
                {
                    errors.Add($"{key}: {source} is a folder, not a public key PEM file");
                    return null;
                }
                if (!info.Exists)
                {
                    errors.Add($"{key}: {source} does not exist");
                    return null;
                }
                if (info.Length > MaxKeyFileBytes)
                {
                    errors.Add($"{key}: {source} is {info.Length} bytes, more than a public key PEM can be ({MaxKeyFileBytes})");
                    return null;
                }
                pem = File.ReadAllText(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.SecurityException or NotSupportedException or ArgumentException)
            {
                errors.Add($"{key}: {source} cannot be read: {ex.Message}");
                return null;
            }
        }
        try
        {
            return TrustedKey.FromPem(pem);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or System.Security.Cryptography.CryptographicException)
        {
            // The message says what the PEM is (a private key, another curve), never the PEM's content.
            errors.Add($"{key}: {source} is not a trusted public key: {ex.Message}");
            return null;
        }
    }
}
