using System.Runtime.InteropServices;

namespace Vyra.Sdk;

/// <summary>
/// Reads a file a plugin folder supplies as the hostile input it may be (docs/trust-model.md): only a regular file
/// (after links are followed), never more than a cap, and the size is checked before a byte is read. A FIFO would block
/// a plain open forever and a link to <c>/dev/zero</c> would never end, so both are refused by their type first.
/// </summary>
internal static class BoundedFile
{
    /// <summary>The file's bytes; a <see cref="PluginLoadException"/> naming the file and the reason otherwise.</summary>
    public static byte[] Read(string path, long maxBytes, string what)
    {
        if (WhyNotRegular(path) is { } why) throw new PluginLoadException($"{path}: cannot read the {what}: {why}", path);
        try
        {
            using var stream = OpenRegular(path) ?? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            var length = stream.Length;
            if (length > maxBytes) throw new PluginLoadException($"{path}: the {what} is {length} bytes; at most {maxBytes} are read", path);
            var buffer = new byte[length];
            stream.ReadExactly(buffer);
            // A file that grew between the length check and the read is read only up to the length it had.
            return buffer;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PluginLoadException($"{path}: cannot read the {what}: {ex.Message}", path, innerException: ex);
        }
    }

    /// <summary>
    /// On Linux, opens without blocking and checks the type of what was opened: the check above looks at the path, and a
    /// FIFO swapped in between the two would otherwise block the open forever. Null where this is not available (then
    /// the plain open follows the path check).
    /// </summary>
    internal static FileStream? OpenRegular(string path)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64)) return null;
        const int readOnlyNonBlockingCloseOnExec = 0x0 | 0x800 | 0x80000; // O_RDONLY | O_NONBLOCK | O_CLOEXEC
        int fd;
        try
        {
            fd = Open(path, readOnlyNonBlockingCloseOnExec);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
        if (fd < 0) return null; // the plain open below reports the error in .NET's words
        var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (TypeOf(handle) is { } type && type != UnixFileType.Regular)
            {
                throw new PluginLoadException($"{path}: it was replaced by something that is not a regular file while it was opened", path);
            }
            return new FileStream(handle, FileAccess.Read, bufferSize: 1);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static UnixFileType? TypeOf(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        var offset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
        Span<byte> buffer = stackalloc byte[512];
        int result;
        try
        {
            unsafe
            {
                fixed (byte* b = buffer) result = FStat((int)handle.DangerousGetHandle(), b);
            }
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
        return result != 0 ? null : Classify(BitConverter.ToUInt32(buffer[offset..]));
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static extern unsafe int FStat(int fd, byte* buffer);

    /// <summary>Null for a regular file (links followed); otherwise why it is not one.</summary>
    public static string? WhyNotRegular(string path)
    {
        if (Directory.Exists(path)) return "it is a folder, not a file";
        if (!File.Exists(path)) return "it does not exist";
        var type = FileType(path);
        return type switch
        {
            null or UnixFileType.Regular => null,
            UnixFileType.Fifo => "it is a FIFO (named pipe), not a regular file",
            UnixFileType.CharacterDevice => "it is a character device, not a regular file",
            UnixFileType.BlockDevice => "it is a block device, not a regular file",
            UnixFileType.Socket => "it is a socket, not a regular file",
            _ => "it is not a regular file",
        };
    }

    private enum UnixFileType
    {
        Regular,
        Fifo,
        CharacterDevice,
        BlockDevice,
        Socket,
        Other,
    }

    // .NET has no public "is this a regular file" on Unix, so ask stat(2) (it follows links, as opening would). The
    // mode field sits at a fixed offset per ABI: 24 on Linux x64, 16 on Linux arm64, 4 on macOS. Elsewhere (Windows,
    // other ABIs) the check is skipped: FIFOs and devices do not appear as files there.
    private static UnixFileType? FileType(string path)
    {
        int offset;
        if (OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64) offset = 24;
        else if (OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.Arm64) offset = 16;
        else if (OperatingSystem.IsMacOS()) offset = 4;
        else return null;
        Span<byte> buffer = stackalloc byte[512];
        int result;
        try
        {
            unsafe
            {
                fixed (byte* b = buffer) result = Stat(path, b);
            }
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return null; // a C library without a plain stat symbol (glibc before 2.33): opening decides
        }
        if (result != 0) return null;
        var mode = OperatingSystem.IsMacOS() ? BitConverter.ToUInt16(buffer[offset..]) : BitConverter.ToUInt32(buffer[offset..]);
        return Classify(mode);
    }

    private static UnixFileType Classify(uint mode) =>
        (mode & 0xF000) switch
        {
            0x8000 => UnixFileType.Regular,
            0x1000 => UnixFileType.Fifo,
            0x2000 => UnixFileType.CharacterDevice,
            0x6000 => UnixFileType.BlockDevice,
            0xC000 => UnixFileType.Socket,
            _ => UnixFileType.Other,
        };

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern unsafe int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* buffer);
}
