using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Vyra.Sdk;

/// <summary>
/// A hint beside the compiled-module cache's entries: which module key (sha256 + kind) the module at one path had when
/// its entry was written or last loaded, with that file's stamp. It lets a start read and copy the entry while it hashes
/// the module instead of after (docs/trust-model.md, "The compiled-module cache trusts no one"). A hint is never trusted:
/// the speculative module is used only when the hash computed meanwhile equals the key the hint names and the entry's
/// MAC under that key matched, so a stale, planted or forged hint costs one wasted read and copy, never a wrong module.
/// </summary>
/// <remarks>
/// The file is three ASCII lines (<c>vyra-module-hint 1</c>, the key, then device, inode, length and write time in
/// ticks), at most <see cref="MaxBytes"/> bytes, parsed strictly: anything else is no hint. It is named by a hash of
/// the module's full path and the engine, so no path can name a file outside the cache folder, and it is opened
/// without blocking and without following a link, and read only when it is a regular file.
/// </remarks>
internal static class ModuleCacheHint
{
    /// <summary>A hint is about 130 bytes; anything larger than this is not read.</summary>
    internal const int MaxBytes = 256;

    internal const string Extension = ".vyrahint";
    private const string Header = "vyra-module-hint 1";

    /// <summary>
    /// Whether hints are read here (Linux x64 and arm64: the open flags and <c>struct stat</c> layout are the ABI's).
    /// Elsewhere none is written either, and a start takes the sequential path.
    /// </summary>
    internal static bool Supported => Volatile.Read(ref s_supported);

    // Cleared for good when the C library lacks open/fstat as symbols (glibc before 2.33 exports fstat only as an inline
    // wrapper): then no hint is read or written again, instead of a caught failure and a rewritten hint at every start.
    private static bool s_supported = OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>The file's text for <paramref name="key"/> and <paramref name="stamp"/>.</summary>
    internal static string Format(string key, FileStamp stamp) =>
        string.Create(CultureInfo.InvariantCulture, $"{Header}\n{key}\n{stamp.Device} {stamp.Inode} {stamp.Length} {stamp.LastWriteUtc.Ticks}\n");

    /// <summary>
    /// The key the hint at <paramref name="hintPath"/> names, when the hint is well formed and its stamp equals
    /// <paramref name="stamp"/> (the module file now); otherwise null. Never throws for what the folder holds.
    /// </summary>
    public static string? Read(string hintPath, FileStamp stamp)
    {
        if (stamp == FileStamp.None) return null;
        Span<byte> buffer = stackalloc byte[MaxBytes + 1];
        var read = ReadRegular(hintPath, buffer);
        if (read is not { } length) return null;
        return Parse(buffer[..length]) is ({ } key, var named) && named == stamp ? key : null;
    }

    /// <summary>The key and stamp of a well-formed hint, or null (what a folder plants is parsed, never trusted).</summary>
    internal static (string Key, FileStamp Stamp)? Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxBytes || ContainsOtherThanPrintableAndNewline(bytes)) return null;
        var text = Encoding.ASCII.GetString(bytes);
        if (!text.EndsWith('\n')) return null;
        var lines = text[..^1].Split('\n');
        if (lines.Length != 3 || lines[0] != Header || !IsKey(lines[1])) return null;
        var fields = lines[2].Split(' ');
        if (fields.Length != 4) return null;
        if (!ulong.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var device)
            || !ulong.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var inode)
            || !long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            || !long.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTime.MaxValue.Ticks)
        {
            return null;
        }
        return (lines[1], new FileStamp(length, new DateTime(ticks, DateTimeKind.Utc), device, inode));
    }

    private static bool ContainsOtherThanPrintableAndNewline(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b != (byte)'\n' && b is < 0x20 or > 0x7E) return true;
        }
        return false;
    }

    /// <summary>A module key as the engine makes them: 64 uppercase hex digits, then <c>.wasm</c> or <c>.wat</c>.</summary>
    internal static bool IsKey(string key)
    {
        var dot = key.IndexOf('.');
        if (dot != 64 || key[(dot + 1)..] is not ("wasm" or "wat")) return false;
        foreach (var c in key.AsSpan(0, 64))
        {
            if (c is not ((>= '0' and <= '9') or (>= 'A' and <= 'F'))) return false;
        }
        return true;
    }

    /// <summary>
    /// Writes the hint (temp file, then a rename, so a reader never sees half of one); a failure only costs the next
    /// start its overlap. The folder exists: an entry was just written or read there.
    /// </summary>
    public static void Write(string hintPath, string key, FileStamp stamp)
    {
        if (!Supported || stamp == FileStamp.None || !IsKey(key)) return;
        var temp = hintPath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(temp, options)) stream.Write(Encoding.ASCII.GetBytes(Format(key, stamp)));
            File.Move(temp, hintPath, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// Reads a regular file of at most <see cref="MaxBytes"/> bytes into <paramref name="buffer"/> (one byte longer, to
    /// see a file that grew), or null; only where hints are <see cref="Supported"/>.
    /// </summary>
    private static unsafe int? ReadRegular(string path, Span<byte> buffer)
    {
        if (!Supported) return null;
        // O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW: a FIFO cannot block the open, a link is refused (ELOOP).
        var noFollow = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 0x20000 : 0x8000;
        var flags = 0x800 | 0x80000 | noFollow;
        int fd;
        try
        {
            fd = Open(path, flags);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            Volatile.Write(ref s_supported, false);
            return null;
        }
        if (fd < 0) return null; // missing (the common case for a first start), a link, unreadable
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        Span<byte> status = stackalloc byte[256];
        int result;
        try
        {
            fixed (byte* s = status) result = FStat(fd, s);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            Volatile.Write(ref s_supported, false);
            return null;
        }
        var modeOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
        if (result != 0 || (BitConverter.ToUInt32(status[modeOffset..]) & 0xF000) != 0x8000) return null; // only a regular file
        if (BitConverter.ToInt64(status[48..]) > MaxBytes) return null;
        try
        {
            var total = 0;
            while (total < buffer.Length)
            {
                var read = RandomAccess.Read(handle, buffer[total..], total);
                if (read == 0) break;
                total += read;
            }
            return total > MaxBytes ? null : total; // grew past the cap after its length was checked
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static extern unsafe int FStat(int fd, byte* buffer);
}
