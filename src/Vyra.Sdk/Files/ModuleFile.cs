namespace Vyra.Sdk;

/// <summary>Decides whether a path holds a loadable wasm or wat module (the factory's VYRA rule).</summary>
internal static class ModuleFile
{
    private static ReadOnlySpan<byte> WasmMagic => [0x00, 0x61, 0x73, 0x6D];

    /// <summary>The module file names of a plugin folder, in the order they are preferred.</summary>
    public static readonly string[] FolderNames = ["logic.wasm", "logic.wat"];

    /// <summary>The module of a plugin folder (<c>logic.wasm</c>, else <c>logic.wat</c>), or null when it has neither.</summary>
    public static string? InFolder(string folder) => FolderNames.Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists);

    /// <summary>Returns null when the file is a module worth starting, else why not.</summary>
    public static string? WhyNotAModule(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) return "no module path was given";
        if (Directory.Exists(path)) return $"'{path}' is a directory, not a module file";
        if (!File.Exists(path)) return $"no module file at '{path}'";
        // A FIFO would block the read below forever, a device would never end: only regular files are modules.
        if (BoundedFile.WhyNotRegular(path) is { } notRegular) return $"'{path}' cannot be a module: {notRegular}";
        try
        {
            using var stream = File.OpenRead(path);
            // WAT may open with long comments: look further into a .wat file than the 8 bytes a binary needs.
            var head = new byte[IsText(path) ? 64 * 1024 : 64];
            var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (IsText(path)) return LooksLikeWat(head.AsSpan(0, read)) ? null : $"'{path}' does not start with a WAT '(module' form";
            if (!head.AsSpan(0, read).StartsWith(WasmMagic)) return $"'{path}' is not a wasm module (no \\0asm header)";
            // The 8-byte header alone is an empty module: nothing to call, so VYRA treats it as absent.
            if (stream.Length <= 8) return $"'{path}' holds only a wasm header ({stream.Length} bytes)";
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"'{path}' cannot be read: {ex.Message}";
        }
    }

    public static bool IsText(string path) => path.EndsWith(".wat", StringComparison.OrdinalIgnoreCase);

    private static bool LooksLikeWat(ReadOnlySpan<byte> head)
    {
        var i = 0;
        while (i < head.Length)
        {
            if (head[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') { i++; continue; }
            if (head[i] == (byte)';' && i + 1 < head.Length && head[i + 1] == (byte)';')
            {
                while (i < head.Length && head[i] != (byte)'\n') i++;
                continue;
            }
            if (head[i] == (byte)'(' && i + 1 < head.Length && head[i + 1] == (byte)';')
            {
                var end = head[i..].IndexOf(";)"u8);
                if (end < 0) return false;
                i += end + 2;
                continue;
            }
            return head[i] == (byte)'(';
        }
        return false;
    }
}
