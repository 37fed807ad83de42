namespace Vyra.Sdk.Tests.Support;

/// <summary>Where the test fixtures (<see cref="TempPlugin"/>, <see cref="TempPool"/>) make their folders, and how they remove them.</summary>
internal static class TempFolder
{
    /// <summary>A new folder under the temp directory's <c>vyra-tests</c>, named <paramref name="name"/> (a readable leftover) and a unique suffix.</summary>
    public static string Create(string? name)
    {
        var unique = Guid.NewGuid().ToString("N");
        var directory = Path.Combine(Path.GetTempPath(), "vyra-tests", name is null ? unique : $"{name}-{unique}");
        Directory.CreateDirectory(directory);
        return directory;
    }

    public static void Delete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
