using System.Security.Cryptography;
using System.Text;
using Vyra.Sdk;

namespace Vyra.Cli.Infrastructure;

/// <summary>
/// The PEM files of <c>vyra keygen</c>, <c>sign</c> and <c>verify</c>: a private key (PKCS#8, unencrypted, so its file
/// mode is its only protection) and a public key (SubjectPublicKeyInfo). A key file given on the command line is read
/// bounded and refused as a usage error when it is not the kind of key the command needs.
/// </summary>
internal static class KeyFiles
{
    /// <summary>A PEM key is well under 1 KiB; anything near this is not a key file.</summary>
    private const int MaxBytes = 64 * 1024;

    public static string PrivatePath(string prefix) => prefix + ".private.pem";

    public static string PublicPath(string prefix) => prefix + ".public.pem";

    /// <summary>Writes a new file (or replaces one with <paramref name="force"/>) created with <paramref name="mode"/> on Unix.</summary>
    public static void Write(string path, string text, bool force, UnixFileMode mode)
    {
        var options = new FileStreamOptions { Mode = force ? FileMode.Create : FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
        }
        // UnixCreateMode applies only when the file is created (and the umask may narrow it): set it on a replaced file too.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
    }

    public static ECDsa ReadPrivate(string path)
    {
        var pem = Read(path, "--key");
        if (!pem.Contains("PRIVATE KEY", StringComparison.Ordinal)) throw new UsageException($"--key {path}: no private key PEM block in it (a key from 'vyra keygen' ends in .private.pem)");
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            TrustedKey.FromKey(key); // the curve check, with the kernel's words
            return key;
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new UsageException($"--key {path}: not an ECDSA P-256 private key: {(ex is ArgumentException a ? WithoutParameter(a) : ex.Message)}");
        }
    }

    public static TrustedKey ReadPublic(string path)
    {
        try
        {
            return TrustedKey.FromPem(Read(path, "--trusted"));
        }
        catch (ArgumentException ex)
        {
            throw new UsageException($"--trusted {path}: {WithoutParameter(ex)}");
        }
    }

    /// <summary>The kernel's words without .NET's "(Parameter 'pem')" tail, which means nothing on a command line.</summary>
    private static string WithoutParameter(ArgumentException ex) =>
        ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message;

    private static string Read(string path, string option)
    {
        if (!File.Exists(path)) throw new UsageException($"{option} {path}: no such file");
        try
        {
            // The kernel's bounded read: a FIFO or device given as a key file is refused instead of read forever.
            return Encoding.UTF8.GetString(BoundedFile.Read(path, MaxBytes, "PEM key file"));
        }
        catch (PluginLoadException ex)
        {
            throw new UsageException($"{option} {ex.Message}");
        }
    }
}
