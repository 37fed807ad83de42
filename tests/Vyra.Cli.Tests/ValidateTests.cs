namespace Vyra.Cli.Tests;

public sealed class ValidateTests
{
    [Fact]
    public void The_sample_pool_is_valid_except_host_calc_whose_imports_only_its_app_provides()
    {
        var run = VyraTool.Run("validate", VyraTool.Samples);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("✓ counter-widget 1.0.0", run.Stdout);
        Assert.Contains("✓ math-kit 1.0.0", run.Stdout);
        Assert.Contains("✓ text-tools 1.0.0", run.Stdout);
        Assert.Contains("✗ host-calc 1.0.0", run.Stdout);
        Assert.Contains("import 'vyra.host_add' is not provided by the host", run.Stdout);
        Assert.Contains("✓ yaml-counter 1.0.0", run.Stdout); // ships only manifest.yaml
        Assert.Contains("4 valid, 1 invalid", run.Stdout);
    }

    [Fact]
    public void Told_the_application_s_host_imports_validate_gates_a_ci_on_them()
    {
        // With the imports host-calc's application provides, the whole sample pool is valid.
        var run = VyraTool.Run("validate", VyraTool.Samples, "--host-import", "host_add(i32, i32) -> i32", "--host-import", "host_lookup(string) -> string");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("✓ host-calc 1.0.0", run.Stdout);

        // A host that provides host_add with another signature fails the gate, naming both signatures.
        var wrong = VyraTool.Run("validate", VyraTool.Samples, "--host-import", "host_add(i64, i64) -> i64", "--host-import", "host_lookup(string) -> string");
        Assert.True(wrong.ExitCode == 1, wrong.ToString());
        Assert.Contains("import 'vyra.host_add' has type", wrong.Stdout);

        var bad = VyraTool.Run("validate", VyraTool.Samples, "--host-import", "host_add(int)");
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("unknown type 'int'", bad.Stderr);
    }

    [Fact]
    public void A_pool_of_valid_plugins_exits_0()
    {
        using var temp = new TempFolder();
        temp.CopySample("counter-widget");
        temp.CopySample("math-kit");
        temp.CopySample("math-kit", version: "1.1.0").ToString();
        File.WriteAllText(Path.Combine(temp.Path, "math-kit", "1.1.0", "metadata.json"),
            File.ReadAllText(Path.Combine(temp.Path, "math-kit", "1.1.0", "metadata.json")).Replace("\"version\": \"1.0.0\"", "\"version\": \"1.1.0\""));

        var run = VyraTool.Run("validate", temp.Path);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("✓ math-kit 1.0.0  (not the newest valid version)", run.Stdout);
        Assert.Contains("✓ math-kit 1.1.0\n", run.Stdout);
        Assert.Contains("3 valid, 0 invalid", run.Stdout);
    }

    [Fact]
    public void Every_problem_of_a_broken_plugin_is_listed()
    {
        using var temp = new TempFolder();
        temp.CopySample("counter-widget");
        var broken = temp.CopySample("counter-widget", asId: "broken");
        File.Delete(Path.Combine(broken, "logic.wasm"));
        File.Delete(Path.Combine(broken, "logic.wat"));
        Directory.CreateDirectory(Path.Combine(temp.Path, "empty", "not-a-version"));

        var run = VyraTool.Run("validate", temp.Path);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("✓ counter-widget 1.0.0", run.Stdout);
        Assert.Contains("✗ broken 1.0.0", run.Stdout);
        Assert.Contains("the manifest's id 'counter-widget' differs from the folder name 'broken'", run.Stdout);
        Assert.Contains("no logic.wasm (or logic.wat)", run.Stdout);
        Assert.Contains("✗ empty not-a-version", run.Stdout);
        Assert.Contains("is not a semantic version", run.Stdout);
        Assert.Contains("1 valid, 2 invalid", run.Stdout);
    }

    [Fact]
    public void A_missing_pool_is_invalid_and_no_pool_is_a_usage_error()
    {
        var missing = VyraTool.Run("validate", Path.Combine(VyraTool.Samples, "no-such-pool"));
        Assert.True(missing.ExitCode == 1, missing.ToString());
        Assert.Contains("does not exist", missing.Stdout);

        var none = VyraTool.Run("validate");
        Assert.True(none.ExitCode == 2, none.ToString());
    }
}
