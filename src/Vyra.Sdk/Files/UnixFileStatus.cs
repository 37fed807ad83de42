using System.Runtime.InteropServices;
using System.Text;

namespace Vyra.Sdk;

/// <summary>
/// One <c>stat(2)</c> of a path (links followed), read straight from the C library: its type, length, write time and
/// identity (device and inode).
/// Every start asks this of its manifest files and its module (are they unchanged since they were read?), and .NET's
/// <see cref="FileInfo"/> costs twice the system call itself for that (a full path, an object, a second status check
/// when the path is a link); on a virtual machine where a system call is already 1–2 µs, the three stamps of a start
/// were its largest part (docs/benchmarks.md, "Start and memory"). Linux on x64 and arm64 only, where the layout of
/// <c>struct stat</c> is fixed by the ABI; elsewhere, or with a C library that has no <c>stat</c> symbol, callers fall
/// back to <see cref="FileInfo"/>.
/// </summary>
internal static class UnixFileStatus
{
    // Offsets in struct stat. x64: st_mode at 24; arm64 (the generic layout): st_mode at 16. Both: st_dev at 0, st_ino
    // at 8, st_size at 48, st_mtim (seconds, nanoseconds) at 88 and 96.
    private static readonly int ModeOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
    private const int DeviceOffset = 0;
    private const int InodeOffset = 8;
    private const int SizeOffset = 48;
    private const int MtimeSecondsOffset = 88;
    private const int MtimeNanosecondsOffset = 96;
    private const int StatBufferBytes = 256; // struct stat is 144 bytes on x64, 128 on arm64
    private const int MaxStackPathBytes = 1024;

    private static bool s_unavailable = !OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64);

    /// <summary>Whether <see cref="TryStat"/> can answer here at all (false: use <see cref="FileInfo"/>).</summary>
    public static bool Available => !Volatile.Read(ref s_unavailable);

    /// <summary>What one stat said: whether the path exists, is a folder or a regular file, its length, write time and identity.</summary>
    public readonly record struct PathStatus(bool Exists, bool IsDirectory, bool IsRegular, long Length, DateTime LastWriteUtc, ulong Device, ulong Inode);

    /// <summary>
    /// Stats <paramref name="path"/>; false when this is not available here (then nothing was asked). A path that does
    /// not exist, or cannot be reached, answers true with <see cref="PathStatus.Exists"/> false, as <see cref="FileInfo.Exists"/> does.
    /// </summary>
    public static unsafe bool TryStat(string path, out PathStatus status)
    {
        status = default;
        if (!Available) return false;
        var length = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        Span<byte> utf8 = length <= MaxStackPathBytes ? stackalloc byte[MaxStackPathBytes] : new byte[length];
        var written = Encoding.UTF8.GetBytes(path, utf8);
        utf8[written] = 0;
        // A NUL inside the path would make the C library stat a shorter path: such a path names no file.
        if (utf8[..written].IndexOf((byte)0) >= 0) return true;
        Span<byte> buffer = stackalloc byte[StatBufferBytes];
        int result;
        try
        {
            fixed (byte* p = utf8)
            fixed (byte* b = buffer)
            {
                result = Stat(p, b);
            }
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            // A C library without a plain stat symbol (glibc before 2.33): FileInfo from now on.
            Volatile.Write(ref s_unavailable, true);
            return false;
        }
        if (result != 0) return true;
        var mode = BitConverter.ToUInt32(buffer[ModeOffset..]);
        var seconds = BitConverter.ToInt64(buffer[MtimeSecondsOffset..]);
        var nanoseconds = BitConverter.ToInt64(buffer[MtimeNanosecondsOffset..]);
        status = new PathStatus(
            Exists: true,
            IsDirectory: (mode & 0xF000) == 0x4000,
            IsRegular: (mode & 0xF000) == 0x8000,
            Length: BitConverter.ToInt64(buffer[SizeOffset..]),
            LastWriteUtc: FromUnixTime(seconds, nanoseconds),
            Device: BitConverter.ToUInt64(buffer[DeviceOffset..]),
            Inode: BitConverter.ToUInt64(buffer[InodeOffset..]));
        return true;
    }

    /// <summary>
    /// The value <see cref="FileSystemInfo.LastWriteTimeUtc"/> gives for a regular file (ticks are 100 ns). Whoever writes the folder sets the time: one outside what <see cref="DateTime"/> holds is clamped, not thrown.
    /// </summary>
    private static DateTime FromUnixTime(long seconds, long nanoseconds)
    {
        var unixEpochSeconds = DateTime.UnixEpoch.Ticks / TimeSpan.TicksPerSecond;
        if (seconds < -unixEpochSeconds) return DateTime.MinValue;
        if (seconds > (DateTime.MaxValue.Ticks / TimeSpan.TicksPerSecond) - unixEpochSeconds - 1) return DateTime.MaxValue;
        return new DateTime(DateTime.UnixEpoch.Ticks + seconds * TimeSpan.TicksPerSecond + Math.Clamp(nanoseconds, 0, 999_999_999) / 100, DateTimeKind.Utc);
    }

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern unsafe int Stat(byte* path, byte* buffer);
}
