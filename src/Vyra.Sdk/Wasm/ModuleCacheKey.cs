using System.Security.Cryptography;

namespace Vyra.Sdk;

/// <summary>
/// The secret that authenticates disk cache entries (<see cref="ModuleDiskCache"/>). Either the host gives one
/// (<see cref="PluginRuntimeOptions.CacheKey"/>), or a per-user key file is used: 32 random bytes in
/// <c>&lt;local application data&gt;/Vyra/module-cache.key</c>, created with mode 0600. A key file that group or others
/// may read or write is refused (the cache is then not used), because whoever reads it can forge entries.
/// </summary>
internal static class ModuleCacheKey
{
    private static readonly Lazy<(byte[]? Key, string? Problem)> UserKey = new(() => LoadOrCreate(DefaultPath()));

    public static string DefaultPath() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "Vyra", "module-cache.key");

    /// <summary>The key for a runtime's options, or null with the reason the cache cannot be used.</summary>
    public static byte[]? For(PluginRuntimeOptions options, string cacheDirectory, out string? problem)
    {
        problem = null;
        if (options.CacheKey is { } given) return given;
        var keyPath = DefaultPath();
        var folder = Path.GetFullPath(cacheDirectory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (Path.GetFullPath(keyPath).StartsWith(folder, StringComparison.Ordinal))
        {
            problem = "the per-user cache key file lies inside the cache folder; set PluginRuntimeOptions.CacheKey or use another folder";
            return null;
        }
        var (key, why) = UserKey.Value;
        problem = why;
        return key;
    }

    /// <summary>Reads the key file at <paramref name="path"/>, creating it (mode 0600) when missing.</summary>
    internal static (byte[]? Key, string? Problem) LoadOrCreate(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                var created = RandomNumberGenerator.GetBytes(32);
                var directory = Path.GetDirectoryName(path)!;
                var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
                if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
                else
                {
                    Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }
                using (var stream = new FileStream(temp, options)) stream.Write(created);
                // Another process may have created it meanwhile: the first one stays, everybody reads it below.
                try { File.Move(temp, path, overwrite: false); }
                catch (IOException) { File.Delete(temp); }
            }
            if (!OperatingSystem.IsWindows())
            {
                var mode = File.GetUnixFileMode(path);
                const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
                if ((mode & others) != 0) return (null, $"the cache key file {path} is readable or writable by others (mode {Convert.ToString((int)mode, 8)}); make it 0600");
            }
            var info = new FileInfo(path);
            if (info.Length is < 32 or > 4096) return (null, $"the cache key file {path} does not hold a key (32 to 4096 bytes)");
            return (File.ReadAllBytes(path), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, $"the cache key file {path} cannot be used: {ex.Message}");
        }
    }
}
