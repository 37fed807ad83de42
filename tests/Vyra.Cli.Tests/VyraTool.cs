using System.Diagnostics;
using System.Text;

namespace Vyra.Cli.Tests;

/// <summary>What one run of the tool left behind.</summary>
public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the built tool as a process: <c>dotnet Vyra.Cli.dll ...</c> from the test's output folder.</summary>
public static class VyraTool
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "Vyra.Cli.dll");

    /// <summary>The sample pool copied next to the tests.</summary>
    public static string Samples { get; } = Path.Combine(AppContext.BaseDirectory, "plugins");

    public static string Sample(string id) => Path.Combine(Samples, id, "1.0.0");

    public static ToolResult Run(params string[] args)
    {
        Assert.True(File.Exists(Dll), $"the tool is not built next to the tests: {Dll}");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var info = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(Dll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"vyra {string.Join(' ', args)} did not finish within 60 s");
        }
        process.WaitForExit();
        return new ToolResult(process.ExitCode, stdout.Result.ReplaceLineEndings("\n"), stderr.Result.ReplaceLineEndings("\n"));
    }
}

/// <summary>A temporary folder removed after the test.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vyra-cli-tests-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>Copies a sample plugin version folder to <c>&lt;this&gt;/&lt;id&gt;/1.0.0</c> (or another id/version) and returns it.</summary>
    public string CopySample(string id, string? asId = null, string version = "1.0.0")
    {
        var target = System.IO.Path.Combine(Path, asId ?? id, version);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(VyraTool.Sample(id)))
        {
            File.Copy(file, System.IO.Path.Combine(target, System.IO.Path.GetFileName(file)));
        }
        return target;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
