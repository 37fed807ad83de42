using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace Vyra.Sdk;

/// <summary>Where a disk cache load put the bytes Wasmtime deserialized.</summary>
internal enum PrivateCopyKind
{
    /// <summary>Not loaded (a miss), or not yet.</summary>
    None,
    /// <summary>An anonymous memory file (<c>memfd_create</c>), mapped through <c>/proc/self/fd</c>.</summary>
    MemoryFile,
    /// <summary>A file created in the temp folder and unlinked at once, mapped through <c>/proc/self/fd</c>.</summary>
    UnlinkedTempFile,
    /// <summary>No private file could be made: deserialized from memory (about ten times slower).</summary>
    Memory,
}

/// <summary>
/// A file only this process reaches, holding bytes for Wasmtime to map (docs/trust-model.md, "The compiled-module cache
/// trusts no one"): first an anonymous memory file (<c>memfd_create</c>: no name in any folder, no disk writes, and
/// mappable as code where the temp folder is mounted <c>noexec</c>), else a file created exclusively (mode 0600) in the
/// temp folder and unlinked at once. Linux only: the caller passes the descriptor's <c>/proc/self/fd</c> path.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class PrivateModuleFile
{
    /// <summary>The file holding <paramref name="bytes"/> (its descriptor only), or null when neither kind can be made or filled.</summary>
    public static FileStream? Create(ReadOnlySpan<byte> bytes, bool memoryFile, string tempFolder, out PrivateCopyKind kind)
    {
        if (memoryFile && Filled(MemoryFile(), bytes) is { } anonymous)
        {
            kind = PrivateCopyKind.MemoryFile;
            return anonymous;
        }
        if (Filled(UnlinkedTempFile(tempFolder), bytes) is { } temp)
        {
            kind = PrivateCopyKind.UnlinkedTempFile;
            return temp;
        }
        kind = PrivateCopyKind.None;
        return null;
    }

    /// <summary>The path Wasmtime opens to reach the file behind <paramref name="file"/>.</summary>
    public static string PathOf(FileStream file) =>
        "/proc/self/fd/" + file.SafeFileHandle.DangerousGetHandle().ToInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static FileStream? Filled(FileStream? file, ReadOnlySpan<byte> bytes)
    {
        if (file is null) return null;
        try
        {
            file.Write(bytes);
            return file;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            file.Dispose(); // full (a memory file counts against the process's memory limit) or not writable
            return null;
        }
    }

    private static FileStream? MemoryFile()
    {
        const uint closeOnExec = 0x1; // MFD_CLOEXEC
        int fd;
        try
        {
            fd = MemfdCreate("vyra-module", closeOnExec);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return null; // a C library without memfd_create (glibc before 2.27)
        }
        if (fd < 0) return null; // refused (old kernel, seccomp, a limit)
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            return new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static FileStream? UnlinkedTempFile(string folder)
    {
        var path = Path.Combine(folder, "vyra-module-" + Guid.NewGuid().ToString("N"));
        FileStream file;
        try
        {
            file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, // O_EXCL: never a file someone placed there first
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                BufferSize = 0,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        try
        {
            File.Delete(path); // from now on only the descriptor reaches it
            return file;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            file.Dispose();
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "memfd_create", SetLastError = true)]
    private static extern int MemfdCreate([MarshalAs(UnmanagedType.LPUTF8Str)] string name, uint flags);
}
