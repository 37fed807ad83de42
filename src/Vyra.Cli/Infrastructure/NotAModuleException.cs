namespace Vyra.Cli.Infrastructure;

/// <summary>
/// The plugin's module file is no module (empty, an HTML page, a truncated download): the kernel would fall back to
/// the stub backend, which answers <c>ping</c> happily and hides the problem. The CLI refuses instead (exit 15) unless
/// <c>--stub</c> asks for the stub on purpose.
/// </summary>
internal sealed class NotAModuleException(string modulePath)
    : Exception($"'{modulePath}' {Describe(modulePath)}, so the wasm backend cannot run it (pass --stub to use the stub backend on purpose)")
{
    /// <summary>What the file looks like, in words.</summary>
    public static string Describe(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) return "does not exist";
            if (info.Length == 0) return "is empty (0 bytes)";
            var head = new byte[Math.Min(512, info.Length)];
            using (var stream = info.OpenRead()) stream.ReadExactly(head);
            var text = System.Text.Encoding.UTF8.GetString(head).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
            if (text.StartsWith('<')) return "looks like HTML or XML, not a module (a saved error page?)";
            if (path.EndsWith(".wat", StringComparison.OrdinalIgnoreCase)) return "does not start with a WAT '(module' form";
            if (head.Length < 4 || head[0] != 0 || head[1] != (byte)'a' || head[2] != (byte)'s' || head[3] != (byte)'m') return $"is not a wasm module (no \\0asm header; {info.Length} bytes)";
            return info.Length <= 8 ? $"holds only a wasm header ({info.Length} bytes)" : "is not a module the wasm backend accepts";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"cannot be read ({ex.Message})";
        }
    }
}
