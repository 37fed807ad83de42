namespace Vyra.Sdk.Tests.Support;

/// <summary>
/// The repository's root folder (the one holding Vyra.Sdk.sln), found from the test's output folder: CI builds map
/// source paths to /_/ (deterministic builds), so a caller's file path does not name a real folder there.
/// </summary>
internal static class RepoRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Vyra.Sdk.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Vyra.Sdk.sln not found above " + AppContext.BaseDirectory);
    }
}
