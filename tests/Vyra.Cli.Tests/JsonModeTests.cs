using System.Text.Json;

namespace Vyra.Cli.Tests;

/// <summary>
/// <c>--json</c> on every command: standard output holds exactly one JSON document (the report, or
/// <c>{"error": {"code": N, "message": ...}}</c> whose code is the exit code), parsed here with System.Text.Json.
/// </summary>
public sealed class JsonModeTests
{
    /// <summary>Parses stdout as one JSON document (a second document or trailing text fails the parse).</summary>
    private static JsonElement Document(ToolResult run)
    {
        try
        {
            using var doc = JsonDocument.Parse(run.Stdout);
            return doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            Assert.Fail($"stdout is not one JSON document ({ex.Message})\n{run}");
            throw;
        }
    }

    private static JsonElement Error(ToolResult run, int code)
    {
        Assert.True(run.ExitCode == code, run.ToString());
        var error = Document(run).GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        return error;
    }

    [Fact]
    public void Inspect_reports_module_manifest_and_problems()
    {
        var run = VyraTool.Run("inspect", VyraTool.Sample("math-kit"), "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        var doc = Document(run);
        Assert.True(doc.GetProperty("ok").GetBoolean());
        Assert.True(doc.GetProperty("starts").GetBoolean());
        var fib = doc.GetProperty("module").GetProperty("exports").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "fib");
        Assert.Equal("func", fib.GetProperty("kind").GetString());
        Assert.Equal("(i32) -> i64", fib.GetProperty("type").GetString());
        var manifest = doc.GetProperty("manifest");
        Assert.Equal("math-kit", manifest.GetProperty("id").GetString());
        var declared = manifest.GetProperty("exports").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "divmod");
        Assert.Equal(["i32", "i32"], declared.GetProperty("returns").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(0, doc.GetProperty("problems").GetArrayLength());

        var mismatch = VyraTool.Run("inspect", VyraTool.Sample("host-calc"), "--json");
        Assert.True(mismatch.ExitCode == 1, mismatch.ToString());
        var problems = Document(mismatch);
        Assert.False(problems.GetProperty("ok").GetBoolean());
        var problem = Assert.Single(problems.GetProperty("problems").EnumerateArray());
        Assert.Equal("start", problem.GetProperty("stage").GetString());
        Assert.Contains("host_add", problem.GetProperty("message").GetString());
    }

    [Fact]
    public void Inspect_reports_a_broken_manifest_with_its_field_and_a_broken_module()
    {
        using var temp = new TempFolder();
        var dir = temp.CopySample("counter-widget");
        File.WriteAllText(Path.Combine(dir, "metadata.json"), "{\"id\": \"counter-widget\", \"exports\": 42}");
        File.WriteAllText(Path.Combine(dir, "logic.wasm"), "<html>not found</html>");
        var run = VyraTool.Run("inspect", dir, "--json");
        Assert.True(run.ExitCode == 1, run.ToString());
        var doc = Document(run);
        var stages = doc.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("stage").GetString()).ToList();
        Assert.Equal(["manifest", "module"], stages);
        Assert.False(doc.GetProperty("manifest").GetProperty("valid").GetBoolean());
        Assert.False(doc.GetProperty("module").GetProperty("compiles").GetBoolean());
        Assert.Equal(JsonValueKind.Null, doc.GetProperty("starts").ValueKind);
    }

    [Fact]
    public void Validate_lists_every_version_with_its_problems()
    {
        var run = VyraTool.Run("validate", VyraTool.Samples, "--json");
        Assert.True(run.ExitCode == 1, run.ToString()); // host-calc needs its application's host functions
        var doc = Document(run);
        var plugins = doc.GetProperty("plugins").EnumerateArray().ToList();
        Assert.Equal(plugins.Count, doc.GetProperty("valid").GetInt32() + doc.GetProperty("invalid").GetInt32());
        var hostCalc = plugins.Single(p => p.GetProperty("id").GetString() == "host-calc");
        Assert.False(hostCalc.GetProperty("valid").GetBoolean());
        Assert.Contains(hostCalc.GetProperty("problems").EnumerateArray(), p => p.GetString()!.Contains("host_add"));
        Assert.True(plugins.Single(p => p.GetProperty("id").GetString() == "math-kit").GetProperty("selected").GetBoolean());

        var withHost = VyraTool.Run("validate", VyraTool.Samples, "--json",
            "--host-import", "host_add(i32, i32) -> i32", "--host-import", "host_lookup(string) -> string");
        Assert.True(withHost.ExitCode == 0, withHost.ToString());
        Assert.Equal(0, Document(withHost).GetProperty("invalid").GetInt32());

        using var empty = new TempFolder();
        var none = VyraTool.Run("validate", empty.Path, "--json");
        Assert.True(none.ExitCode == 1, none.ToString());
        Assert.Equal(0, Document(none).GetProperty("plugins").GetArrayLength());
    }

    [Fact]
    public void Call_prints_the_result_and_its_failures_as_json()
    {
        var ok = VyraTool.Run("call", VyraTool.Sample("math-kit"), "add_i64", "a=2", "b=40", "--json");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal(42, Document(ok).GetProperty("result").GetInt64());

        var trap = VyraTool.Run("call", VyraTool.Sample("math-kit"), "divmod", "a=1", "b=0", "--json");
        var error = Error(trap, 6);
        Assert.Equal("Trap", error.GetProperty("kind").GetString());
        Assert.Equal("math-kit", error.GetProperty("plugin").GetString());
        Assert.Equal("divmod", error.GetProperty("function").GetString());
        Assert.Contains("divide by zero", error.GetProperty("message").GetString());
        Assert.Equal("", trap.Stderr);

        Assert.Contains("host_add", Error(VyraTool.Run("call", VyraTool.Sample("host-calc"), "add", "a=1", "b=2", "--json"), 3).GetProperty("message").GetString());
    }

    [Fact]
    public void Usage_errors_are_json_too_even_when_the_command_line_does_not_parse()
    {
        Error(VyraTool.Run("call", VyraTool.Sample("math-kit"), "--json"), 2);                          // missing function
        Error(VyraTool.Run("call", VyraTool.Sample("math-kit"), "fib", "--timeout", "soon", "--json"), 2);
        Error(VyraTool.Run("inspect", Path.Combine(VyraTool.Samples, "no-such-plugin"), "--json"), 2);
        Error(VyraTool.Run("bench", VyraTool.Sample("math-kit"), "fib", "--calls", "5", "--duration", "1", "--json"), 2);
    }

    [Fact]
    public void Json_arguments_moved_to_args_and_the_old_form_says_so()
    {
        var run = VyraTool.Run("call", VyraTool.Sample("math-kit"), "hypot", "--json", "{\"a\": 3, \"b\": 4}");
        Assert.Contains("--args", Error(run, 2).GetProperty("message").GetString());

        var plain = VyraTool.Run("call", VyraTool.Sample("math-kit"), "hypot", "{\"a\": 3}");
        Assert.True(plain.ExitCode == 2, plain.ToString());
        Assert.Contains("--args", plain.Stderr);
    }

    [Fact]
    public void A_module_that_is_no_module_is_a_json_error_15()
    {
        using var temp = new TempFolder();
        var dir = temp.CopySample("counter-widget");
        File.WriteAllText(Path.Combine(dir, "logic.wasm"), "");
        Assert.Contains("--stub", Error(VyraTool.Run("call", dir, "ping", "--json"), 15).GetProperty("message").GetString());
    }

    [Fact]
    public void New_reports_the_scaffold_and_refuses_an_existing_one()
    {
        using var temp = new TempFolder();
        var run = VyraTool.Run("new", "json-made", "--lang", "wat", "-o", temp.Path, "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        var doc = Document(run);
        var dir = doc.GetProperty("directory").GetString()!;
        Assert.Equal(Path.GetFullPath(Path.Combine(temp.Path, "json-made", "1.0.0")), dir);
        Assert.True(doc.GetProperty("runnable").GetBoolean());
        foreach (var file in doc.GetProperty("files").EnumerateArray()) Assert.True(File.Exists(Path.Combine(dir, file.GetString()!)), file.GetString());
        Assert.Contains("logic.wasm", doc.GetProperty("files").EnumerateArray().Select(f => f.GetString()));

        var again = VyraTool.Run("new", "json-made", "--lang", "wat", "-o", temp.Path, "--json");
        Assert.Contains("already exists", Error(again, 1).GetProperty("message").GetString());
        Error(VyraTool.Run("new", "Bad_Id", "--lang", "wat", "-o", temp.Path, "--json"), 2);
    }

    [Fact]
    public void Convert_reports_what_it_wrote_or_carries_the_text()
    {
        using var temp = new TempFolder();
        var dir = temp.CopySample("math-kit");
        var run = VyraTool.Run("convert", dir, "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        var doc = Document(run);
        Assert.Equal("json", doc.GetProperty("from").GetString());
        Assert.Equal("yaml", doc.GetProperty("to").GetString());
        var output = doc.GetProperty("output").GetString()!;
        Assert.Equal(Path.Combine(dir, "manifest.yaml"), output);
        Assert.True(File.Exists(output));
        Assert.Single(doc.GetProperty("notes").EnumerateArray()); // both files now sit in the folder

        var again = VyraTool.Run("convert", Path.Combine(dir, "metadata.json"), "--json");
        Assert.Contains("--force", Error(again, 1).GetProperty("message").GetString());

        var text = VyraTool.Run("convert", Path.Combine(dir, "metadata.json"), "-o", "-", "--json");
        Assert.True(text.ExitCode == 0, text.ToString());
        var printed = Document(text);
        Assert.Equal(JsonValueKind.Null, printed.GetProperty("output").ValueKind);
        Assert.Equal(File.ReadAllText(output), printed.GetProperty("text").GetString());
    }

    [Fact]
    public void Bench_reports_numbers_and_keeps_stderr_quiet()
    {
        var run = VyraTool.Run("bench", VyraTool.Sample("math-kit"), "fib", "n=10", "--calls", "50", "--warmup", "5", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Stderr);
        var doc = Document(run);
        Assert.Equal("math-kit", doc.GetProperty("plugin").GetString());
        Assert.Equal("wasm", doc.GetProperty("backend").GetString());
        Assert.Equal("call", doc.GetProperty("path").GetString());
        Assert.Equal(50, doc.GetProperty("calls").GetInt32());
        Assert.True(doc.GetProperty("calls_per_second").GetDouble() > 0);
        var latency = doc.GetProperty("latency_ns");
        var ordered = new[] { "p50", "p90", "p99", "max" }.Select(p => latency.GetProperty(p).GetInt64()).ToList();
        Assert.Equal(ordered.Order(), ordered);
        Assert.True(ordered[0] > 0);

        var failing = VyraTool.Run("bench", VyraTool.Sample("math-kit"), "divmod", "a=1", "b=0", "--calls", "5", "--json");
        Assert.Equal("Trap", Error(failing, 6).GetProperty("kind").GetString());
    }
}
