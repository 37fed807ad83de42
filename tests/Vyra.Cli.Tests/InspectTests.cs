namespace Vyra.Cli.Tests;

public sealed class InspectTests
{
    [Fact]
    public void A_consistent_plugin_shows_manifest_and_module_and_exits_0()
    {
        var run = VyraTool.Run("inspect", VyraTool.Sample("counter-widget"));

        // counter-widget's folder holds both manifests: the one the runtime reads (manifest.yaml) is shown.
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("manifest.yaml (the folder's metadata.json must agree with it)", run.Stdout);
        Assert.Contains("id        counter-widget", run.Stdout);
        Assert.Contains("version   1.0.0", run.Stdout);
        Assert.Contains("scope     MODULE vyra_samples (owner vyra_samples)", run.Stdout);
        Assert.Contains("increment(step: i32)", run.Stdout);
        Assert.Contains("memory 16 MiB", run.Stdout);
        Assert.Contains("func    increment (i32) -> i32", run.Stdout);
        Assert.Contains("✓ the module fits its manifest", run.Stdout);
    }

    [Fact]
    public void Memory_values_and_imports_are_shown_with_their_wasm_signatures()
    {
        // An id folder resolves to its highest version.
        var run = VyraTool.Run("inspect", Path.Combine(VyraTool.Samples, "text-tools"));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("upper(text: string) -> string", run.Stdout);
        Assert.Contains("func    upper (i32, i32) -> i64", run.Stdout);
        Assert.Contains("memory  memory", run.Stdout);
        Assert.Contains("func    vyra.host_log (i32, i32)", run.Stdout);
        Assert.Contains("events    text.*, system.ping", run.Stdout);
    }

    [Fact]
    public void A_lying_manifest_exits_1_and_lists_every_mismatch()
    {
        using var temp = new TempFolder();
        var dir = temp.CopySample("math-kit");
        var manifest = Path.Combine(dir, "metadata.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifest))!;
        foreach (var export in json["exports"]!.AsArray())
        {
            if ((string?)export!["name"] == "add_i64") foreach (var arg in export["args"]!.AsArray()) arg!["type"] = "i32";
            if ((string?)export["name"] == "fib") export["name"] = "fibonacci";
        }
        File.WriteAllText(manifest, json.ToJsonString());

        var run = VyraTool.Run("inspect", dir);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("✗ mismatch", run.Stdout);
        Assert.Contains("export 'add_i64': the manifest declares (a: i32, b: i32)", run.Stdout);
        Assert.Contains("fibonacci", run.Stdout);
        // The module's real signatures are still listed.
        Assert.Contains("func    add_i64 (i64, i64) -> i64", run.Stdout);
    }

    [Fact]
    public void Imports_the_default_host_lacks_are_a_mismatch()
    {
        var run = VyraTool.Run("inspect", VyraTool.Sample("host-calc"));

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("import 'vyra.host_add' is not provided by the host", run.Stdout);
    }

    [Fact]
    public void An_invalid_manifest_exits_1_naming_the_line()
    {
        using var temp = new TempFolder();
        var dir = temp.CopySample("counter-widget");
        File.WriteAllText(Path.Combine(dir, "metadata.json"), "{\n  \"id\": \"counter-widget\",\n  \"exports\": [\n");

        var run = VyraTool.Run("inspect", dir);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("✗ the manifest is invalid", run.Stdout);
        Assert.Contains("metadata.json(", run.Stdout);
    }

    [Fact]
    public void A_module_file_can_be_given_directly()
    {
        var run = VyraTool.Run("inspect", Path.Combine(VyraTool.Sample("math-kit"), "logic.wat"));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("logic.wat", run.Stdout);
        Assert.Contains("func    divmod (i32, i32) -> (i32, i32)", run.Stdout);
    }

    [Fact]
    public void A_missing_path_is_a_usage_error()
    {
        var run = VyraTool.Run("inspect", Path.Combine(VyraTool.Samples, "no-such-plugin"));

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.StartsWith("error: no plugin file or folder", run.Stderr);
    }
}
