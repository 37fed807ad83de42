using System.Diagnostics;
using System.Text;
using Xunit;

namespace Vyra.Sdk.EndToEnd.Tests;

/// <summary>Runs a command as a user would (dotnet pack, build, publish, a published app), bounded in time.</summary>
internal static class ChildProcess
{
    /// <summary>Runs <paramref name="fileName"/> and returns its exit code, standard output and standard error; a run past <paramref name="timeout"/> is killed and fails the test.</summary>
    public static (int ExitCode, string Output, string Errors) Run(string workingDirectory, TimeSpan timeout, string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        // The test runs inside 'dotnet test': do not hand its MSBuild settings on to the child builds.
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "VSTEST_HOST_DEBUG" })
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var errors = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"'{fileName} {string.Join(' ', arguments)}' timed out:\n{output}{errors}");
        }
        process.WaitForExit();
        lock (output) lock (errors) return (process.ExitCode, output.ToString(), errors.ToString());
    }

    /// <summary>The repository's root folder (the one holding Vyra.Sdk.sln), found from the test's output folder.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vyra.Sdk.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Vyra.Sdk.sln not found above " + AppContext.BaseDirectory);
    }
}
