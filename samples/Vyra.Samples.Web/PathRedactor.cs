namespace Vyra.Samples.Web;

/// <summary>
/// Takes the server's folders out of messages sent to HTTP clients: a plugin's problems and load errors name module and
/// manifest files by absolute path, which tells an outsider how the machine is laid out. Pool folders become
/// <c>&lt;pool&gt;</c> (so <c>&lt;pool&gt;/math-kit/1.0.0/logic.wasm</c> still says which file), other known roots <c>&lt;app&gt;</c>.
/// The logs keep the full paths.
/// </summary>
public sealed class PathRedactor
{
    private readonly (string Root, string Name)[] _roots;

    /// <summary>Creates the redactor for the pools and the application folders.</summary>
    public PathRedactor(IEnumerable<string> pools, IEnumerable<string> appFolders)
    {
        _roots = pools.Select(p => (p, "<pool>"))
            .Concat(appFolders.Select(a => (a, "<app>")))
            .Select(r => (Path.TrimEndingDirectorySeparator(Path.GetFullPath(r.Item1)), r.Item2))
            .Where(r => r.Item1.Length > 1)
            .OrderByDescending(r => r.Item1.Length) // the most specific root first: a pool inside the app folder stays <pool>
            .ToArray();
    }

    /// <summary>The message with every known root replaced.</summary>
    public string Redact(string message)
    {
        foreach (var (root, name) in _roots) message = message.Replace(root, name, StringComparison.Ordinal);
        return message;
    }
}
