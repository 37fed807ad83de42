namespace Vyra.Sdk;

/// <summary>
/// A file's length and last write time: enough to tell that a file read before is unchanged, so a restart or a second
/// runtime over the same plugin does not re-read, re-parse or re-hash it. <see cref="None"/> stands for "no file".
/// </summary>
internal readonly record struct FileStamp(long Length, DateTime LastWriteUtc)
{
    public static readonly FileStamp None = new(-1, DateTime.MinValue);

    public static FileStamp Of(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : None;
    }
}
