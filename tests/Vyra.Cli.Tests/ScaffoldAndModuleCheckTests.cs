namespace Vyra.Cli.Tests;

/// <summary>`vyra new` validates before writing and writes atomically; `vyra call` refuses a module file that is no module.</summary>
public sealed class ScaffoldAndModuleCheckTests
{
    [Theory]
    [InlineData("")]           // empty
    [InlineData("<!DOCTYPE html><html><body>404 Not Found</body></html>")]
    [InlineData("not a module at all")]
    [InlineData("\0asm")]      // a header cut short
    public void Call_refuses_a_logic_wasm_that_is_no_module_unless_stub_is_asked_for(string content)
    {
        using var temp = new TempFolder();
        var dir = temp.CopySample("counter-widget");
        File.WriteAllText(Path.Combine(dir, "logic.wasm"), content);

        var run = VyraTool.Run("call", dir, "ping");
        Assert.True(run.ExitCode == 15, run.ToString());
        Assert.Equal("", run.Stdout);
        Assert.Contains("logic.wasm", run.Stderr);
        Assert.Contains("--stub", run.Stderr);
        if (content.Length == 0) Assert.Contains("empty", run.Stderr);
        if (content.StartsWith('<')) Assert.Contains("HTML", run.Stderr);

        var stub = VyraTool.Run("call", dir, "ping", "--stub");
        Assert.True(stub.ExitCode == 0, stub.ToString());
        Assert.Contains("\"runtime\":\"stub\"", stub.Stdout);
    }

    [Fact]
    public void A_real_module_still_runs_on_wasm()
    {
        var run = VyraTool.Run("call", VyraTool.Sample("counter-widget"), "ping");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("\"runtime\":\"wasm\"", run.Stdout);
    }

    [Theory]
    [InlineData("nl\n")]
    [InlineData("tab\t")]
    [InlineData("a/../../escape")]
    [InlineData("UPPER")]
    [InlineData("-dash")]
    public void A_bad_id_is_refused_before_anything_is_written(string id)
    {
        using var temp = new TempFolder();
        var run = VyraTool.Run("new", id, "--lang", "wat", "-o", temp.Path);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("is not a plugin id", run.Stderr);
        Assert.DoesNotContain('\n', run.Stderr.TrimEnd('\n')); // the id is shown escaped, on one line
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }

    [Fact]
    public void A_failed_write_leaves_no_half_written_scaffold()
    {
        using var temp = new TempFolder();
        // The id folder is a file: nothing can be created below it.
        File.WriteAllText(Path.Combine(temp.Path, "blocked"), "");
        var run = VyraTool.Run("new", "blocked", "--lang", "wat", "-o", temp.Path);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Equal<string>(["blocked"], Directory.EnumerateFileSystemEntries(temp.Path).Select(p => Path.GetFileName(p)!).ToArray());

        var output = Path.Combine(temp.Path, "a-file");
        File.WriteAllText(output, "");
        var onFile = VyraTool.Run("new", "ok-id", "--lang", "wat", "-o", output);
        Assert.True(onFile.ExitCode == 2, onFile.ToString());
    }

    [Fact]
    public void Force_replaces_the_scaffold_of_the_other_language_and_keeps_added_files()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, VyraTool.Run("new", "switch", "--lang", "wat", "-o", temp.Path).ExitCode);
        var dir = Path.Combine(temp.Path, "switch", "1.0.0");
        File.WriteAllText(Path.Combine(dir, "NOTES.md"), "mine");

        var run = VyraTool.Run("new", "switch", "--lang", "c", "-o", temp.Path, "--force");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal<string>(["NOTES.md", "build.sh", "logic.c", "metadata.json", "vyra.h"],
            Directory.EnumerateFileSystemEntries(dir).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "NOTES.md")));
        Assert.Equal<string>(["1.0.0"], Directory.EnumerateFileSystemEntries(Path.Combine(temp.Path, "switch")).Select(p => Path.GetFileName(p)!).ToArray()); // no staging left

        // Back to WAT: the C files go, and the scaffold runs.
        Assert.Equal(0, VyraTool.Run("new", "switch", "--lang", "wat", "-o", temp.Path, "--force").ExitCode);
        Assert.False(File.Exists(Path.Combine(dir, "logic.c")));
        Assert.False(File.Exists(Path.Combine(dir, "vyra.h")));
        var add = VyraTool.Run("call", dir, "add", "a=2", "b=3");
        Assert.Equal("{\"result\":5}", add.Stdout.Trim());
    }
}
