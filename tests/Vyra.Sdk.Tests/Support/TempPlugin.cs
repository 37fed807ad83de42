namespace Vyra.Sdk.Tests.Support;

/// <summary>A plugin folder in a temp directory (logic.wat or logic.wasm + metadata.json), deleted on dispose.</summary>
public sealed class TempPlugin : IDisposable
{
    private TempPlugin(string directory, string modulePath)
    {
        Directory = directory;
        ModulePath = modulePath;
    }

    public string Directory { get; }

    public string ModulePath { get; }

    public string ManifestPath => Path.Combine(Directory, "metadata.json");

    /// <summary>
    /// Writes <paramref name="wat"/> as logic.wat and, when given, <paramref name="manifest"/> as metadata.json. The
    /// folder's name starts with <paramref name="name"/> when given (a readable leftover), then a unique suffix.
    /// </summary>
    public static TempPlugin FromWat(string wat, string? manifest = null, string? name = null) => Create("logic.wat", File.WriteAllText, wat, manifest, name);

    /// <summary>Writes raw module bytes as logic.wasm.</summary>
    public static TempPlugin FromBytes(byte[] module, string? manifest = null, string? name = null) => Create("logic.wasm", File.WriteAllBytes, module, manifest, name);

    private static TempPlugin Create<T>(string fileName, Action<string, T> write, T content, string? manifest, string? name)
    {
        var directory = TempFolder.Create(name);
        var modulePath = Path.Combine(directory, fileName);
        write(modulePath, content);
        if (manifest is not null) File.WriteAllText(Path.Combine(directory, "metadata.json"), manifest);
        return new TempPlugin(directory, modulePath);
    }

    public void Dispose() => TempFolder.Delete(Directory);
}
