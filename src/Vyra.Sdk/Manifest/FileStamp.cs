namespace Vyra.Sdk;

/// <summary>
/// A file's length and last write time: enough to tell that a file read before is unchanged, so a restart or a second
/// runtime over the same plugin does not re-read, re-parse or re-hash it. <see cref="None"/> stands for "no file".
/// </summary>
internal readonly record struct FileStamp(long Length, DateTime LastWriteUtc)
{
    public static readonly FileStamp None = new(-1, DateTime.MinValue);

    /// <summary>
    /// The stamp of <paramref name="path"/> (links followed), taken at every start for each manifest file and the module:
    /// one <c>stat(2)</c> where the C library is asked directly (<see cref="UnixFileStatus"/>), else <see cref="FileInfo"/>,
    /// which gives the same values. A folder is no file, as for <see cref="FileInfo.Exists"/>.
    /// </summary>
    public static FileStamp Of(string path)
    {
        if (UnixFileStatus.TryStat(path, out var status))
        {
            return status.Exists && !status.IsDirectory ? new FileStamp(status.Length, status.LastWriteUtc) : None;
        }
        var info = new FileInfo(path);
        return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : None;
    }
}
