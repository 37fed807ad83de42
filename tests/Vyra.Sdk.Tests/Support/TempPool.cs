namespace Vyra.Sdk.Tests.Support;

/// <summary>
/// A plugin pool in a temp directory, laid out as VYRA keeps one (<c>&lt;pool&gt;/&lt;id&gt;/&lt;version&gt;/</c>), deleted
/// on dispose. Modules are text (<c>logic.wat</c>), so no tools are needed.
/// </summary>
public sealed class TempPool : IDisposable
{
    /// <summary>Creates an empty pool whose folder's name starts with <paramref name="name"/> when given.</summary>
    public TempPool(string? name = null) => Root = TempFolder.Create(name);

    public string Root { get; }

    /// <summary>The folder of <paramref name="id"/> at <paramref name="version"/> (made by <see cref="Add"/>).</summary>
    public string FolderOf(string id, string version = "1.0.0") => Path.Combine(Root, id, version);

    /// <summary>
    /// Makes the folder of <paramref name="id"/> at <paramref name="version"/> with the files given (<c>metadata.json</c>,
    /// <c>manifest.yaml</c>, <c>logic.wat</c>; null: not written) and returns it.
    /// </summary>
    public string Add(string id, string version = "1.0.0", string? json = null, string? yaml = null, string? wat = null)
    {
        var folder = FolderOf(id, version);
        Directory.CreateDirectory(folder);
        if (json is not null) File.WriteAllText(Path.Combine(folder, "metadata.json"), json);
        if (yaml is not null) File.WriteAllText(Path.Combine(folder, "manifest.yaml"), yaml);
        if (wat is not null) File.WriteAllText(Path.Combine(folder, "logic.wat"), wat);
        return folder;
    }

    /// <summary>
    /// A valid plugin whose one export <c>v()</c> returns <paramref name="value"/>; <paramref name="json"/> replaces its
    /// manifest (<see cref="AnswerManifest"/>). Returns the folder.
    /// </summary>
    public string AddAnswer(string id, int value = 7, string version = "1.0.0", string? json = null) =>
        Add(id, version, json ?? AnswerManifest(id, version), wat: AnswerWat(value));

    /// <summary>The manifest of <see cref="AddAnswer"/>: the id, the version and the export <c>v()</c>.</summary>
    public static string AnswerManifest(string id, string version = "1.0.0") =>
        $$"""{"id":"{{id}}","version":"{{version}}","exports":[{"name":"v","args":[]}]}""";

    /// <summary>The module of <see cref="AddAnswer"/>.</summary>
    public static string AnswerWat(int value = 7) => $$"""(module (func (export "v") (result i32) i32.const {{value}}))""";

    public void Dispose() => TempFolder.Delete(Root);
}
