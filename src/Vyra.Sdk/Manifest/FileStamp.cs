namespace Vyra.Sdk;

/// <summary>
/// A file's length, last write time and identity: enough to tell that a file read before is unchanged, so a restart or
/// a second runtime over the same plugin does not re-read, re-parse or re-hash it. <see cref="None"/> stands for "no file".
/// </summary>
/// <remarks>
/// Where <c>stat(2)</c> is asked directly (<see cref="UnixFileStatus"/>: Linux x64 and arm64), links are followed and the
/// stamp is the file's they lead to, with its device and inode: a target edited in place changes its write time, a link
/// pointed elsewhere (or a file replaced by a rename) changes the inode, even when length and write time were copied.
/// <see cref="FileInfo"/>, the fallback elsewhere, describes a link itself and has no inode (0).
/// </remarks>
internal readonly record struct FileStamp(long Length, DateTime LastWriteUtc, ulong Device = 0, ulong Inode = 0)
{
    public static readonly FileStamp None = new(-1, DateTime.MinValue);

    /// <summary>
    /// The stamp of <paramref name="path"/>, taken at every start for each manifest file and the module: one system call
    /// where the C library is asked directly, else a <see cref="FileInfo"/>. A folder is no file, as for <see cref="FileInfo.Exists"/>.
    /// </summary>
    public static FileStamp Of(string path)
    {
        if (UnixFileStatus.TryStat(path, out var status))
        {
            return status.Exists && !status.IsDirectory ? new FileStamp(status.Length, status.LastWriteUtc, status.Device, status.Inode) : None;
        }
        var info = new FileInfo(path);
        return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : None;
    }
}
