using System.Text;
using System.Text.RegularExpressions;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Architecture;

/// <summary>
/// The kernel's folders against the layer table of docs/architecture.md, which is read here: every folder has a row,
/// and no code uses a type defined in a folder of a later row. Uses are found by type name in the source with comments
/// and string literals left out (a comment may name what reads a setting); a type split over folders (a partial class)
/// counts at its earliest folder. The side rows (proxies, diagnostics) are described in the document and not ordered.
/// </summary>
public partial class LayerTests
{
    private static readonly string Kernel = Path.Combine(RepoRoot.Path, "src", "Vyra.Sdk");

    // Not a concept of the kernel: assembly attributes.
    private static readonly string[] NotLayered = ["Properties"];

    [Fact]
    public void Every_kernel_folder_has_a_row_in_the_layer_table()
    {
        var table = LayerTable();
        var missing = SourceFiles().Select(f => f.Folder).Distinct().Where(f => !table.ContainsKey(f) && !NotLayered.Contains(f)).ToList();
        Assert.True(missing.Count == 0, "folders of src/Vyra.Sdk missing from docs/architecture.md's layer table: " + string.Join(", ", missing));
    }

    [Fact]
    public void No_kernel_folder_uses_a_folder_of_a_later_layer()
    {
        var table = LayerTable();
        var files = SourceFiles().Select(f => (f.Folder, f.Path, Code: CodeOnly(File.ReadAllText(f.Path)))).ToList();
        var definedIn = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (Match m in Definition().Matches(file.Code))
            {
                var name = m.Groups["name"].Value;
                if (!definedIn.TryGetValue(name, out var known) || Row(table, file.Folder) < Row(table, known)) definedIn[name] = file.Folder;
            }
        }

        var against = new List<string>();
        foreach (var (folder, path, code) in files)
        {
            var row = Row(table, folder);
            if (row < 0) continue; // a side folder, or one the other test reports
            foreach (var name in Identifier().Matches(code).Select(m => m.Value).Distinct(StringComparer.Ordinal))
            {
                if (!definedIn.TryGetValue(name, out var owner) || owner == folder) continue;
                var ownerRow = Row(table, owner);
                if (ownerRow > row) against.Add($"{Path.GetRelativePath(Kernel, path)} uses {name} ({owner}, a later layer)");
            }
        }
        Assert.True(against.Count == 0, "uses against the layer order of docs/architecture.md:\n" + string.Join("\n", against));
    }

    private static int Row(IReadOnlyDictionary<string, int> table, string folder) => table.TryGetValue(folder, out var row) ? row : -1;

    /// <summary>The table's folders (<c>Wasm</c>, <c>PluginRuntime.cs</c>) with their row, in order; side rows get -1.</summary>
    private static Dictionary<string, int> LayerTable()
    {
        var lines = File.ReadAllLines(Path.Combine(RepoRoot.Path, "docs", "architecture.md"));
        var start = Array.IndexOf(lines, "## Layers");
        Assert.True(start >= 0, "docs/architecture.md has no '## Layers' section");
        var table = new Dictionary<string, int>(StringComparer.Ordinal);
        var row = 0;
        foreach (var line in lines.Skip(start + 1).SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|')).Skip(2))
        {
            var cells = line.Split('|');
            var side = cells[1].Trim() == "side";
            foreach (Match m in Regex.Matches(cells[2], @"`([\w.]+)/?`")) table[m.Groups[1].Value] = side ? -1 : row;
            row++;
        }
        Assert.NotEmpty(table);
        return table;
    }

    private static IEnumerable<(string Folder, string Path)> SourceFiles()
    {
        foreach (var path in Directory.EnumerateFiles(Kernel, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Kernel, path).Split(Path.DirectorySeparatorChar);
            if (relative[0] is "obj" or "bin") continue;
            yield return (relative[0], path); // a folder, or a file at the root (PluginRuntime.cs)
        }
    }

    [GeneratedRegex(@"\b(?:class|struct|interface|enum|record(?:\s+struct|\s+class)?)\s+(?<name>[A-Z]\w*)|\bdelegate\s+[\w<>?,.\[\]\s]+?\s(?<name>[A-Z]\w*)\s*[<(]")]
    private static partial Regex Definition();

    [GeneratedRegex(@"\b[A-Z]\w*\b")]
    private static partial Regex Identifier();

    /// <summary>The source without comments, string and character literals (their contents are not uses).</summary>
    internal static string CodeOnly(string source)
    {
        var code = new StringBuilder(source.Length);
        var i = 0;
        while (i < source.Length)
        {
            var c = source[i];
            var next = i + 1 < source.Length ? source[i + 1] : '\0';
            if (c == '/' && next == '/')
            {
                while (i < source.Length && source[i] != '\n') i++;
            }
            else if (c == '/' && next == '*')
            {
                var end = source.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? source.Length : end + 2;
            }
            else if (c == '"' && next == '"' && i + 2 < source.Length && source[i + 2] == '"')
            {
                // A raw string: as many quotes close it as opened it.
                var quotes = 0;
                while (i < source.Length && source[i] == '"') { quotes++; i++; }
                var end = source.IndexOf(new string('"', quotes), i, StringComparison.Ordinal);
                i = end < 0 ? source.Length : end + quotes;
                code.Append("\"\"");
            }
            else if (c == '"')
            {
                var verbatim = i > 0 && (source[i - 1] == '@' || (source[i - 1] == '$' && i > 1 && source[i - 2] == '@'));
                i++;
                while (i < source.Length)
                {
                    if (verbatim && source[i] == '"' && i + 1 < source.Length && source[i + 1] == '"') { i += 2; continue; }
                    if (!verbatim && source[i] == '\\') { i += 2; continue; }
                    if (source[i] == '"') break;
                    i++;
                }
                i++;
                code.Append("\"\"");
            }
            else if (c == '\'' && (next == '\\' ? i + 3 < source.Length : i + 2 < source.Length && source[i + 2] == '\''))
            {
                i = source.IndexOf('\'', i + (next == '\\' ? 3 : 2)) + 1;
                code.Append("' '");
            }
            else
            {
                code.Append(c);
                i++;
            }
        }
        return code.ToString();
    }
}
