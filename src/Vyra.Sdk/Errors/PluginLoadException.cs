namespace Vyra.Sdk;

/// <summary>
/// A plugin could not be loaded or started: unreadable manifest, invalid module, signature mismatch,
/// missing import, or a failure while instantiating. The message names the file, line, field or import.
/// </summary>
public class PluginLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PluginLoadException(string message, string? filePath = null, int? line = null, string? field = null, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
        Line = line;
        Field = field;
    }

    /// <summary>The file at fault (manifest or module), when known.</summary>
    public string? FilePath { get; }

    /// <summary>The 1-based line in <see cref="FilePath"/>, when known.</summary>
    public int? Line { get; }

    /// <summary>The JSON path of the offending field (for example <c>$.exports[1].args[0].type</c>), when known.</summary>
    public string? Field { get; }
}
