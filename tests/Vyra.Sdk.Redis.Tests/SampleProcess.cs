using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>
/// A sample program run as a separate .NET process (its build output, with the wire key in VYRA_WIRE_KEY): its output
/// lines are collected, and a test waits for them on a signal raised by each line and by the end of the output, never
/// by polling. Disposing kills the process if it still runs.
/// </summary>
internal sealed class SampleProcess : IDisposable
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _outputEnded;

    private SampleProcess(Process process) => Process = process;

    public Process Process { get; }

    /// <summary>The lines written so far (standard error prefixed with "stderr: ").</summary>
    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>Everything written so far, for an assertion's message.</summary>
    public string Output => string.Join('\n', _lines);

    /// <summary>Starts <paramref name="sample"/>'s build output with <paramref name="arguments"/>.</summary>
    public static SampleProcess Start(string sample, string key, params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet ? dotnet : "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(AssemblyOf(sample));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["VYRA_WIRE_KEY"] = key;
        start.Environment["DOTNET_NOLOGO"] = "1";
        var result = new SampleProcess(Process.Start(start)!);
        result.Process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) result._outputEnded = true; // the process closed its output: no more lines will come
            else result._lines.Enqueue(e.Data);
            result.Pulse();
        };
        result.Process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            result._lines.Enqueue("stderr: " + e.Data);
            result.Pulse();
        };
        result.Process.BeginOutputReadLine();
        result.Process.BeginErrorReadLine();
        return result;
    }

    /// <summary>True once a line matches <paramref name="match"/>; false when the output ended without one or <paramref name="within"/> passed.</summary>
    public Task<bool> WaitForLineAsync(Func<string, bool> match, TimeSpan within) => WaitForAsync(lines => lines.Any(match), within);

    /// <summary>True once <paramref name="condition"/> holds for the lines; false when the output ended first or <paramref name="within"/> passed.</summary>
    public async Task<bool> WaitForAsync(Func<IReadOnlyCollection<string>, bool> condition, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        while (true)
        {
            Task changed;
            lock (_gate) changed = _changed.Task; // taken before the check, so a line added after it wakes this wait
            if (condition(_lines)) return true;
            if (_outputEnded) return false;
            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                return condition(_lines);
            }
        }
    }

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
        Process.Dispose();
    }

    private void Pulse()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    /// <summary>The sample's build output, in the configuration and layout this test project was built with.</summary>
    private static string AssemblyOf(string sample)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        var project = root;
        while (project is not null && !File.Exists(Path.Combine(project.FullName, "Vyra.Sdk.Redis.Tests.csproj"))) project = project.Parent;
        Assert.NotNull(project);
        var relative = Path.GetRelativePath(project.FullName, root.FullName);
        var sampleDirectory = Path.Combine(project.FullName, "..", "..", "samples", sample);
        var expected = Path.Combine(sampleDirectory, relative, sample + ".dll");
        if (File.Exists(expected)) return Path.GetFullPath(expected);
        // Another output layout (a RID folder or not): the newest build of the sample.
        var found = new DirectoryInfo(Path.Combine(sampleDirectory, "bin")).EnumerateFiles(sample + ".dll", SearchOption.AllDirectories)
            .OrderByDescending(f => f.LastWriteTimeUtc).FirstOrDefault();
        Assert.True(found is not null, $"the sample {sample} is not built (looked for {expected})");
        return found.FullName;
    }
}
