using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Vyra.Cli.Tests;

/// <summary>
/// <c>vyra bench --compare</c> run as a process on the sample plugins with a few calls: the report's shape and that
/// every ratio is a positive number — never the timings themselves, which depend on the machine.
/// </summary>
public sealed class BenchCompareTests
{
    [Fact]
    public void Compare_prints_raw_typed_and_CallAsync_rows_with_ratios_to_raw_and_a_progress_line_per_path_and_round()
    {
        var run = VyraTool.Run("bench", VyraTool.Sample("math-kit"), "fib", "n=10", "--compare", "--calls", "60", "--warmup", "5");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("bench math-kit.fib (wasm backend, compared: 6 interleaved rounds", run.Stdout);
        foreach (var label in new[] { "raw Wasmtime", "typed export", "CallAsync" })
        {
            var row = Regex.Match(run.Stdout, $@"^\s+{label}\s+60\s+[\d.]+ (ns|µs|ms|s)\s+[\d.]+ (ns|µs|ms|s)\s+[\d.]+ (ns|µs|ms|s)\s+(?<ratio>[\d.]+)×$", RegexOptions.Multiline);
            Assert.True(row.Success, $"no row for {label}\n{run}");
            Assert.True(double.Parse(row.Groups["ratio"].Value, CultureInfo.InvariantCulture) > 0, run.ToString());
        }
        Assert.Matches(@"raw Wasmtime\s.*\s1\.00×", run.Stdout);
        Assert.Contains("fuel off", run.Stdout);

        // Progress: the same warm-up for each path, then one line per path and round, the order rotating each round.
        foreach (var label in new[] { "raw Wasmtime", "typed export", "CallAsync" })
        {
            Assert.Contains($"bench math-kit.fib: warming up {label} (5 calls)", run.Stderr);
            for (var round = 1; round <= 6; round++)
            {
                Assert.Contains($"bench math-kit.fib: round {round} of 6, {label}: measuring 10 calls", run.Stderr);
            }
        }
        var firsts = Regex.Matches(run.Stderr, @"round (\d) of 6, (?<label>[^:]+): measuring").Select(m => m.Groups["label"].Value).Chunk(3).Select(c => c[0]).ToList();
        Assert.Equal(["raw Wasmtime", "typed export", "CallAsync", "raw Wasmtime", "typed export", "CallAsync"], firsts);
        Assert.DoesNotContain("measuring", run.Stdout);
    }

    [Fact]
    public void While_measuring_a_redirected_progress_line_says_how_far_the_whole_measurement_is_on_stderr_only()
    {
        // Two seconds of measuring: the progress line (once a second when redirected) shows at least once.
        var run = VyraTool.Run("bench", VyraTool.Sample("math-kit"), "fib", "n=10", "--compare", "--duration", "2", "--warmup", "1");
        Assert.True(run.ExitCode == 0, run.ToString());
        var updates = Regex.Matches(run.Stderr, @"^  \[(?<percent>\d+)%\] (raw Wasmtime|typed export|CallAsync): [\d,]+ calls, mean [\d.]+ (ns|µs|ms|s)$", RegexOptions.Multiline);
        Assert.True(updates.Count > 0, run.ToString());
        Assert.All(updates, u => Assert.InRange(int.Parse(u.Groups["percent"].Value, CultureInfo.InvariantCulture), 0, 100));
        Assert.DoesNotContain("\r", run.Stderr); // not a terminal: plain lines
        Assert.DoesNotContain("%]", run.Stdout);
        Assert.Contains("× raw", run.Stdout);
    }

    [Fact]
    public void Compare_json_has_three_paths_with_the_same_calls_and_positive_ratios()
    {
        var run = VyraTool.Run("bench", VyraTool.Sample("counter-widget"), "increment", "step=1", "--compare", "--calls", "50", "--warmup", "3", "--fuel", "1000000", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Stderr);
        using var doc = JsonDocument.Parse(run.Stdout);
        var root = doc.RootElement;
        Assert.Equal("compare", root.GetProperty("path").GetString());
        Assert.Equal("increment", root.GetProperty("function").GetString());
        Assert.Equal(6, root.GetProperty("rounds").GetInt32());
        Assert.Equal(3, root.GetProperty("warmup").GetInt32());
        Assert.True(root.GetProperty("batch").GetInt32() > 0);
        // --fuel makes the SDK meter this plugin, so the raw engine meters too (metering is compiled into the code).
        Assert.True(root.GetProperty("raw_fuel").GetBoolean());
        Assert.Equal(0, root.GetProperty("raw_stand_in_imports").GetArrayLength());
        var paths = root.GetProperty("paths").EnumerateArray().ToList();
        Assert.Equal(["raw", "typed", "call"], paths.Select(p => p.GetProperty("path").GetString()));
        foreach (var path in paths)
        {
            Assert.Equal(50, path.GetProperty("calls").GetInt64());
            foreach (var key in new[] { "seconds", "mean_ns", "median_ns", "p99_ns", "ratio", "ratio_median" })
            {
                Assert.True(path.GetProperty(key).GetDouble() > 0, $"{key} of {path}");
            }
        }
        Assert.Equal(1.0, paths[0].GetProperty("ratio").GetDouble());
        Assert.Equal(1.0, paths[0].GetProperty("ratio_median").GetDouble());
    }

    [Fact]
    public void Compare_names_the_imports_the_raw_path_answers_with_stand_ins()
    {
        using var temp = new TempFolder();
        var dir = temp.CopySample("counter-widget");
        File.Delete(Path.Combine(dir, "logic.wasm"));
        File.Delete(Path.Combine(dir, "manifest.yaml"));
        // counter-widget's exports, with increment calling host_log first: the SDK's host logs (an empty line), the
        // raw path's stand-in does nothing.
        File.WriteAllText(Path.Combine(dir, "logic.wat"), """
            (module
              (import "vyra" "host_log" (func $log (param i32 i32)))
              (memory (export "memory") 1)
              (global $count (mut i32) (i32.const 0))
              (func (export "init") (param i32) (result i32) (global.set $count (local.get 0)) (global.get $count))
              (func (export "increment") (param $step i32) (result i32)
                (call $log (i32.const 0) (i32.const 0))
                (global.set $count (i32.add (global.get $count) (local.get $step)))
                (global.get $count))
              (func (export "reset") (result i32) (global.set $count (i32.const 0)) (i32.const 0))
              (func (export "get_count") (result i32) (global.get $count)))
            """);

        var run = VyraTool.Run("bench", dir, "increment", "step=2", "--compare", "--calls", "12", "--warmup", "1", "-q");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("raw: imports vyra.host_log answered by no-op stand-ins", run.Stdout);

        var json = VyraTool.Run("bench", dir, "increment", "step=2", "--compare", "--calls", "12", "--warmup", "1", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal(["vyra.host_log"], doc.RootElement.GetProperty("raw_stand_in_imports").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Compare_refuses_what_raw_or_typed_cannot_run_with_a_usage_error_that_says_why()
    {
        // A memory-ABI signature: neither raw Wasmtime nor the typed path can pass a string.
        var memory = VyraTool.Run("bench", VyraTool.Sample("text-tools"), "echo", "text=x", "--compare", "--calls", "10");
        Assert.True(memory.ExitCode == 2, memory.ToString());
        Assert.Contains("--compare supports scalar arguments only; 'echo' takes string, bytes or json", memory.Stderr);
        Assert.Contains("drop --compare to measure CallAsync alone", memory.Stderr);
        Assert.Equal("", memory.Stdout);

        // Two results: no typed delegate for that.
        var pair = VyraTool.Run("bench", VyraTool.Sample("math-kit"), "divmod", "a=7", "b=2", "--compare", "--calls", "10", "--json");
        Assert.True(pair.ExitCode == 2, pair.ToString());
        using (var doc = JsonDocument.Parse(pair.Stdout))
        {
            var error = doc.RootElement.GetProperty("error");
            Assert.Equal(2, error.GetProperty("code").GetInt32());
            Assert.Contains("at most one result", error.GetProperty("message").GetString());
        }

        var stub = VyraTool.Run("bench", VyraTool.Sample("counter-widget"), "ping", "--compare", "--stub", "--calls", "10");
        Assert.True(stub.ExitCode == 2, stub.ToString());
        Assert.Contains("--compare needs the wasm backend", stub.Stderr);
        Assert.Contains("--stub", stub.Stderr);

        var typed = VyraTool.Run("bench", VyraTool.Sample("counter-widget"), "increment", "--compare", "--typed", "--calls", "10");
        Assert.True(typed.ExitCode == 2, typed.ToString());
        Assert.Contains("drop --typed", typed.Stderr);

        // A call that fails in the SDK fails as in an application, with call's exit code, before anything is measured
        // (the SDK paths warm up first; the raw store has fuel to spare and would not fail).
        var fuel = VyraTool.Run("bench", VyraTool.Sample("math-kit"), "fib", "n=1000000", "--compare", "--fuel", "50", "--calls", "10");
        Assert.True(fuel.ExitCode == 8, fuel.ToString());
        Assert.EndsWith("(OutOfFuel)", fuel.Stderr.Trim());
        Assert.Equal("", fuel.Stdout);
    }
}
