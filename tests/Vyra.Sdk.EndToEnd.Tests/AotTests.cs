using Xunit;

namespace Vyra.Sdk.EndToEnd.Tests;

/// <summary>Runs only with VYRA_AOT=1: a NativeAOT publish takes minutes and needs the native toolchain (clang).</summary>
public sealed class AotFactAttribute : FactAttribute
{
    public AotFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("VYRA_AOT") != "1") Skip = "a NativeAOT publish (minutes): set VYRA_AOT=1 to run it";
    }
}

/// <summary>
/// The sample host published with NativeAOT (README "Trimming and NativeAOT"): the publish reports no trim or AOT
/// warning (they are errors in this repository), and the native binary prints what <c>dotnet run</c> prints.
/// </summary>
public sealed class AotTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vyra-aot-test-").FullName;

    [AotFact]
    public void The_sample_host_published_with_NativeAOT_prints_what_the_JIT_build_prints()
    {
        var repo = ChildProcess.RepoRoot();
        var project = Path.Combine(repo, "samples", "Vyra.Samples.Host", "Vyra.Samples.Host.csproj");
        var published = Path.Combine(_root, "aot");
        var jit = Path.Combine(_root, "jit");

        Run(repo, TimeSpan.FromMinutes(15), "dotnet", "publish", project, "-c", "Release", "-r", "linux-x64",
            "-p:VyraNativeAot=true", "-o", published, "--disable-build-servers");
        var binary = Path.Combine(published, "Vyra.Samples.Host");
        Assert.True(File.Exists(binary), "no native binary at " + binary);
        // A native image: no managed entry assembly beside it, only the plugins and the Wasmtime library.
        Assert.False(File.Exists(Path.Combine(published, "Vyra.Samples.Host.dll")));
        Assert.True(File.Exists(Path.Combine(published, "plugins", "counter-widget", "1.0.0", "logic.wasm")));

        Run(repo, TimeSpan.FromMinutes(5), "dotnet", "build", project, "-c", "Release", "-o", jit, "--disable-build-servers");

        // From an unrelated working directory: both find their plugins next to the program.
        var native = Run(_root, TimeSpan.FromMinutes(1), binary);
        var managed = Run(_root, TimeSpan.FromMinutes(1), "dotnet", Path.Combine(jit, "Vyra.Samples.Host.dll"));
        Assert.EndsWith("done", native.TrimEnd());
        Assert.Contains("backend            wasm", native);
        Assert.Equal(managed, native);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Run(string workingDirectory, TimeSpan timeout, string fileName, params string[] arguments)
    {
        var (exitCode, output, errors) = ChildProcess.Run(workingDirectory, timeout, fileName, arguments);
        Assert.True(exitCode == 0, $"'{fileName} {string.Join(' ', arguments)}' exited with {exitCode}:\n{output}{errors}");
        return output;
    }
}
