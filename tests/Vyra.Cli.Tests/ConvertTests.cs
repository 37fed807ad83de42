using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vyra.Sdk;

namespace Vyra.Cli.Tests;

/// <summary><c>vyra convert</c>: metadata.json ⇄ manifest.yaml through the kernel's model, run as a process.</summary>
public sealed class ConvertTests
{
    /// <summary>A sample folder holding only its metadata.json (counter-widget also carries a manifest.yaml).</summary>
    private static string JsonOnly(TempFolder temp, string id)
    {
        var dir = temp.CopySample(id);
        File.Delete(Path.Combine(dir, "manifest.yaml"));
        return dir;
    }

    [Theory]
    [InlineData("counter-widget")]
    [InlineData("math-kit")]
    public void Json_to_yaml_gives_an_equal_model_when_the_kernel_reads_the_yaml(string id)
    {
        using var temp = new TempFolder();
        var dir = JsonOnly(temp, id);
        var jsonPath = Path.Combine(dir, "metadata.json");

        var run = VyraTool.Run("convert", dir);

        Assert.True(run.ExitCode == 0, run.ToString());
        var yamlPath = Path.Combine(dir, "manifest.yaml");
        Assert.Contains($"wrote {yamlPath}", run.Stdout);
        var yaml = File.ReadAllText(yamlPath);
        Assert.Contains("entry_points:\n  backend:\n", yaml);
        Assert.Contains("    exports:\n", yaml);
        Assert.DoesNotContain("\nexports:", yaml);
        Assert.Equal(Canonical(ManifestReader.ReadFile(jsonPath)), Canonical(ManifestReader.ReadFile(yamlPath)));
        Assert.Equal(Canonical(ManifestReader.ReadFile(jsonPath)), Canonical(ManifestReader.ReadFolder(dir)!)); // the runtime's choice agrees
    }

    [Fact]
    public void Yaml_to_json_and_back_gives_equal_models_and_keeps_extra_fields()
    {
        using var temp = new TempFolder();
        var dir = temp.CopySample("yaml-counter");
        var original = ManifestReader.ReadFile(Path.Combine(dir, "manifest.yaml"));

        var outDir = Directory.CreateDirectory(Path.Combine(temp.Path, "out")).FullName;
        var toJson = VyraTool.Run("convert", dir, "--output", outDir); // a folder: the standard file name inside it
        Assert.True(toJson.ExitCode == 0, toJson.ToString());
        var jsonPath = Path.Combine(outDir, "metadata.json");
        var json = JsonNode.Parse(File.ReadAllText(jsonPath))!;
        Assert.Equal("i64", (string?)json["exports"]![2]!["returns"]);
        Assert.Equal("ui/index.js", (string?)json["entry_points"]!["frontend"]!["file"]); // entry_points keys beyond the model stay
        Assert.Equal("logic.wasm", (string?)json["entry_points"]!["backend"]!["file"]);
        Assert.Equal("plugins/yaml-counter", (string?)json["docs"]!["wiki_path"]);
        Assert.Equal("vyra_samples", (string?)json["scope"]!["target"]);
        Assert.Equal(Canonical(original), Canonical(ManifestReader.ReadFile(jsonPath), upstream: false));

        var back = Path.Combine(temp.Path, "back.yaml");
        var toYaml = VyraTool.Run("convert", jsonPath, "--to", "yaml", "-o", back);
        Assert.True(toYaml.ExitCode == 0, toYaml.ToString());
        Assert.Equal(Canonical(original), Canonical(ManifestReader.ReadFile(back)));
        Assert.Contains("file: ui/index.js", File.ReadAllText(back));
    }

    [Fact]
    public void An_upstream_manifest_with_the_full_field_set_round_trips()
    {
        // counter-widget's manifest.yaml carries upstream's whole field set: scope object, slots, runtime, docs, dependencies.
        using var temp = new TempFolder();
        var dir = temp.CopySample("counter-widget");
        var yamlPath = Path.Combine(dir, "manifest.yaml");
        var original = ManifestReader.ReadFile(yamlPath);
        var jsonPath = Path.Combine(temp.Path, "converted.json");

        var toJson = VyraTool.Run("convert", yamlPath, "-o", jsonPath);
        Assert.True(toJson.ExitCode == 0, toJson.ToString());
        var json = JsonNode.Parse(File.ReadAllText(jsonPath))!;
        Assert.Equal("module", (string?)json["scope"]!["type"]); // written as upstream wrote it
        Assert.Equal("CounterWidget", (string?)json["entry_points"]!["frontend"]!["slots"]![0]!["component"]);
        Assert.Equal("SLIM", (string?)json["runtime"]!["image_type"]);
        Assert.Equal("", (string?)json["checksum"]);
        Assert.Equal(Canonical(original), Canonical(ManifestReader.ReadFile(jsonPath), upstream: false));

        var back = Path.Combine(temp.Path, "back.yaml");
        var toYaml = VyraTool.Run("convert", jsonPath, "--to", "yaml", "-o", back);
        Assert.True(toYaml.ExitCode == 0, toYaml.ToString());
        Assert.Equal(Canonical(original), Canonical(ManifestReader.ReadFile(back)));
    }

    [Fact]
    public void A_converted_yaml_only_plugin_runs()
    {
        using var temp = new TempFolder();
        var dir = JsonOnly(temp, "counter-widget");
        var jsonPath = Path.Combine(dir, "metadata.json");
        Assert.Equal(0, VyraTool.Run("convert", dir).ExitCode);
        File.Delete(jsonPath);

        var call = VyraTool.Run("call", dir, "increment", "step=4");
        Assert.True(call.ExitCode == 0, call.ToString());
        Assert.Equal("{\"result\":4}", call.Stdout.Trim());
    }

    [Fact]
    public void Extension_types_are_refused_for_yaml_with_the_export_and_argument_named()
    {
        using var temp = new TempFolder();
        var dir = temp.CopySample("text-tools");

        var run = VyraTool.Run("convert", dir, "--to", "yaml");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("export 'upper' argument 'text' has type string", run.Stderr);
        Assert.Contains("the upstream schema allows only i32, i64, f32, f64", run.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "manifest.yaml")));
    }

    [Fact]
    public void Missing_upstream_fields_are_named()
    {
        using var temp = new TempFolder();
        var dir = temp.CopySample("math-kit");
        var jsonPath = Path.Combine(dir, "metadata.json");
        var json = JsonNode.Parse(File.ReadAllText(jsonPath))!.AsObject();
        json.Remove("scope");
        File.WriteAllText(jsonPath, json.ToJsonString());

        var run = VyraTool.Run("convert", dir, "-o", "-");
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("the upstream schema requires 'scope'", run.Stderr);
    }

    [Fact]
    public void An_existing_output_needs_force_and_usage_errors_exit_2()
    {
        using var temp = new TempFolder();
        var dir = temp.CopySample("yaml-counter");
        File.WriteAllText(Path.Combine(dir, "metadata.json"), "{}");

        var both = VyraTool.Run("convert", dir);
        Assert.True(both.ExitCode == 2, both.ToString());
        Assert.Contains("say --to json or --to yaml", both.Stderr);

        var exists = VyraTool.Run("convert", dir, "--to", "json");
        Assert.True(exists.ExitCode == 1, exists.ToString());
        Assert.Contains("--force", exists.Stderr);
        Assert.Equal("{}", File.ReadAllText(Path.Combine(dir, "metadata.json")));

        var forced = VyraTool.Run("convert", dir, "--to", "json", "--force");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Contains("\"id\": \"yaml-counter\"", File.ReadAllText(Path.Combine(dir, "metadata.json")));

        Assert.Equal(2, VyraTool.Run("convert", Path.Combine(dir, "manifest.yaml"), "--to", "yaml").ExitCode);
        Assert.Equal(2, VyraTool.Run("convert", Path.Combine(temp.Path, "missing")).ExitCode);
        Assert.Equal(2, VyraTool.Run("convert", dir, "--to", "toml").ExitCode);
    }

    [Fact]
    public void An_invalid_source_exits_3_with_the_located_kernel_message()
    {
        using var temp = new TempFolder();
        var path = Path.Combine(temp.Path, "manifest.yaml");
        File.WriteAllText(path, "id: x\nname: X\nversion: 1.2\nscope: module\n");

        var run = VyraTool.Run("convert", path, "-o", "-");

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains("manifest.yaml(3,", run.Stderr);
        Assert.Contains("'version' must be a semantic version", run.Stderr);
    }

    /// <summary>The model as comparable text (numbers by value; the source path left out).</summary>
    private static string Canonical(PluginManifest m, bool upstream = true)
    {
        var b = new StringBuilder();
        b.AppendLine($"{m.Id}|{m.Version}|{m.Name}|{m.Description}|{m.Scope}|{m.LoadStrategy}|{m.HasBackend || !upstream}");
        foreach (var e in m.Exports ?? []) b.AppendLine($"export {e.Name}({(e.Args is null ? "legacy" : string.Join(",", e.Args.Select(a => a.Name + ":" + a.Type)))}) -> {(e.Returns is null ? "?" : string.Join(",", e.Returns))} | {e.Description}");
        foreach (var i in m.Imports ?? []) b.AppendLine($"import {i.Name}({(i.Args is null ? "-" : string.Join(",", i.Args.Select(a => a.Name + ":" + a.Type)))}) -> {(i.Returns is null ? "?" : string.Join(",", i.Returns))}");
        foreach (var s in m.InitialState) b.AppendLine($"state {s.Key}:{s.Type} = {(s.Default is { } d ? Canon(JsonNode.Parse(d.GetRawText())) : "none")}");
        b.AppendLine("events " + (m.Events is null ? "all" : string.Join(",", m.Events)));
        b.AppendLine($"limits {m.Limits}");
        b.AppendLine($"upstream {m.Checksum}|{m.Hash}|{m.Category}|{string.Join(",", m.Tags)}|{m.Priority}|{m.Status}|{m.Permissions?.Storage}|{string.Join(",", m.Permissions?.Interfaces ?? [])}");
        if (m.EntryPoints is { } entryPoints)
        {
            // Exports live under entry_points.backend in YAML and at the top in JSON: they are compared above.
            var node = JsonNode.Parse(entryPoints.GetRawText())!;
            (node["backend"] as JsonObject)?.Remove("exports");
            b.AppendLine("entry_points " + Canon(node));
        }
        foreach (var (k, v) in m.Extra.OrderBy(x => x.Key, StringComparer.Ordinal)) b.AppendLine($"extra {k} = {Canon(JsonNode.Parse(v.GetRawText()))}");
        return b.ToString();
    }

    private static string Canon(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject o => "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + ":" + Canon(p.Value))) + "}",
        JsonArray a => "[" + string.Join(",", a.Select(Canon)) + "]",
        _ when node.GetValueKind() == JsonValueKind.Number => double.Parse(node.ToJsonString(), CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture),
        _ => node.ToJsonString(),
    };
}
