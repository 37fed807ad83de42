using System.Diagnostics;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>
/// Hostile plugin folders at the reading edge (docs/trust-model.md): small files that used to crash the host (stack
/// overflow), blow its memory (alias bombs, /dev/zero), hang it (FIFOs) or escape as raw exceptions. Each is generated
/// here, bounded, and must end as a located <see cref="PluginLoadException"/> (or a catalog problem) while the other
/// plugins of the pool stay usable.
/// </summary>
[Collection(ProcessWideCollection.Name)] // two tests bound the allocations of a refusal
public sealed class HostileManifestTests : IDisposable
{
    // Every read below must finish far sooner; this only turns a hang into a failure instead of a stuck test run.
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private readonly TempPool _pool = new("hostile-manifests");

    public HostileManifestTests()
    {
        _pool.AddAnswer("good");
    }

    public void Dispose() => _pool.Dispose();

    private string Hostile(string id, string fileName, string text, bool withModule = true)
    {
        var dir = _pool.Add(id, wat: withModule ? TempPool.AnswerWat() : null);
        File.WriteAllText(Path.Combine(dir, fileName), text);
        return dir;
    }

    /// <summary>Discovery finds the hostile plugin invalid with <paramref name="problem"/>, and the good one still valid.</summary>
    private async Task AssertContained(string id, string problem)
    {
        var catalog = await Task.Run(() => PluginCatalog.Discover(_pool.Root)).WaitAsync(HangGuard);
        Assert.True(catalog.Find("good")?.CanRun, "the good plugin of the pool must survive its hostile neighbour");
        var entry = Assert.Single(catalog.Entries, e => e.Id == id);
        Assert.Contains(entry.Problems, p => p.Contains(problem, StringComparison.Ordinal));
    }

    public static TheoryData<string, string, string> DeepDocuments => new()
    {
        { "manifest.yaml", "id: deep\nname: D\nversion: 1.0.0\nscope: {type: MODULE, target: m}\nx: " + new string('[', 12_000) + "\n", "nesting deeper than 64 levels" },
        { "metadata.json", "{\"id\":\"deep\",\"x\":" + new string('[', 12_000) + "}", "nesting deeper than 64 levels" },
        { "metadata.json", "{\"id\":\"deep\",\"x\":" + new string('[', 70) + new string(']', 70) + "}", "nesting deeper than 64 levels" },
        { "manifest.yaml", "id: deep\nx: " + string.Concat(Enumerable.Repeat("{a: ", 12_000)) + "\n", "nesting deeper than 64 levels" },
    };

    [Theory]
    [MemberData(nameof(DeepDocuments))]
    public async Task Deep_nesting_is_a_located_error_not_a_stack_overflow(string fileName, string text, string problem)
    {
        var dir = Hostile("deep", fileName, text);
        var ex = await Assert.ThrowsAsync<PluginLoadException>(() => Task.Run(() => ManifestReader.ReadFolder(dir)).WaitAsync(HangGuard));
        Assert.Contains(problem, ex.Message);
        Assert.StartsWith(Path.Combine(dir, fileName) + "(", ex.Message);
        await using var runtime = PluginRuntime.Create("deep", Path.Combine(dir, "logic.wat"));
        await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync().AsTask().WaitAsync(HangGuard));
        await AssertContained("deep", fileName);
    }

    [Fact]
    public async Task A_yaml_alias_bomb_is_refused_before_it_expands()
    {
        var bomb = "id: bomb\nname: B\nversion: 1.0.0\nscope: {type: MODULE, target: m}\nl0: &l0 [x, x, x, x, x, x, x, x, x]\n"
            + string.Concat(Enumerable.Range(1, 9).Select(i => $"l{i}: &l{i} [*l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}]\n"));
        Hostile("bomb", "manifest.yaml", bomb);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<PluginLoadException>(() => ManifestReader.Parse(bomb, "bomb/manifest.yaml"));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "refusing an alias bomb must not expand it");
        Assert.Contains("anchors", ex.Message);
        Assert.Equal(5, ex.Line);
        await AssertContained("bomb", "unsupported YAML");
    }

    [Fact]
    public async Task A_manifest_linked_to_dev_zero_is_refused_without_reading_it()
    {
        if (!OperatingSystem.IsLinux()) return;
        var dir = _pool.Add("zero", wat: TempPool.AnswerWat());
        File.CreateSymbolicLink(Path.Combine(dir, "metadata.json"), "/dev/zero");

        var ex = await Assert.ThrowsAsync<PluginLoadException>(() => Task.Run(() => ManifestReader.ReadFolder(dir)).WaitAsync(HangGuard));
        Assert.Contains("character device", ex.Message);
        await AssertContained("zero", "not a regular file");
    }

    [Theory]
    [InlineData("metadata.json")]
    [InlineData("manifest.yaml")]
    [InlineData("logic.wasm")]
    public async Task A_fifo_in_a_plugin_folder_never_hangs_discovery_or_the_factory(string fileName)
    {
        if (!OperatingSystem.IsLinux()) return;
        var dir = _pool.Add("fifo", json: fileName != "metadata.json" ? TempPool.AnswerManifest("fifo") : null);
        var fifo = Path.Combine(dir, fileName);
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!)
        {
            await mkfifo.WaitForExitAsync().WaitAsync(HangGuard);
            Assert.Equal(0, mkfifo.ExitCode);
        }
        if (fileName != "logic.wasm") File.WriteAllText(Path.Combine(dir, "logic.wat"), TempPool.AnswerWat());

        await AssertContained("fifo", "FIFO");
        var module = fileName == "logic.wasm" ? fifo : Path.Combine(dir, "logic.wat");
        await using var runtime = await Task.Run(() => PluginRuntime.Create("fifo", module)).WaitAsync(HangGuard);
        if (fileName == "logic.wasm") Assert.IsType<StubRuntime>(runtime); // not a usable module: the factory's rule
        else await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync().AsTask().WaitAsync(HangGuard));
    }

    [Fact]
    public async Task A_huge_manifest_is_refused_by_its_size_before_it_is_read()
    {
        var dir = _pool.Add("huge", wat: TempPool.AnswerWat());
        using (var file = new FileStream(Path.Combine(dir, "metadata.json"), FileMode.CreateNew))
        {
            file.SetLength(3L << 30); // sparse: 3 GiB that take no disk and must take no memory
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<PluginLoadException>(() => ManifestReader.ReadFolder(dir));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Contains($"at most {ManifestReader.MaxBytes}", ex.Message);
        await AssertContained("huge", "at most");
    }

    [Theory]
    [InlineData("version: 1" + "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", "$.version")]
    [InlineData("version: 1.0.0\npriority: 1e999", "$.priority")]
    [InlineData("version: 1.0.0\npriority: 99999999999999999999999999", "$.priority")]
    public void Numbers_out_of_every_range_are_located_errors(string lines, string field)
    {
        var yaml = "id: n\nname: N\nscope: {type: MODULE, target: m}\n" + lines + "\n";
        var ex = Assert.Throws<PluginLoadException>(() => ManifestReader.Parse(yaml, "n/manifest.yaml"));
        Assert.Equal(field, ex.Field);
    }

    [Fact]
    public void Numbers_nothing_interprets_are_kept_as_written()
    {
        var m = ManifestReader.Parse("id: n\nname: N\nversion: 1.0.0\nscope: {type: MODULE, target: m}\nx: 1e999\ny: 1" + new string('0', 400) + "\n", "n/manifest.yaml");
        Assert.Equal("1e999", m.Extra["x"].GetRawText());
        Assert.Equal(401, m.Extra["y"].GetRawText().Length);
    }

    [Fact]
    public async Task Fifty_thousand_warnings_are_located_in_linear_time_and_kept_bounded()
    {
        // Every name-only export is a warning; locating each must not rescan the whole megabyte.
        var json = "{\"id\":\"many\",\"exports\":[" + string.Join(",\n", Enumerable.Range(0, 50_000).Select(i => $"\"f{i}\"")) + "]}";
        var manifest = await Task.Run(() => ManifestReader.Parse(json, "many/metadata.json")).WaitAsync(HangGuard);
        Assert.Equal(50_000, manifest.Exports!.Count);
        Assert.Equal(21, manifest.Warnings.Count);
        Assert.StartsWith("many/metadata.json(20,", manifest.Warnings[19]);
        Assert.Equal("many/metadata.json: 49980 more warnings", manifest.Warnings[20]);
    }

    [Theory]
    [InlineData("metadata.json", "{\"id\":\"a\",\"id\":\"b\"}")]
    [InlineData("manifest.yaml", "id: a\nid: b\n")]
    public void A_key_written_twice_is_refused_in_both_formats(string file, string text)
    {
        // Python keeps the last of two equal keys; reading the first would let one file mean two plugins.
        var ex = Assert.Throws<PluginLoadException>(() => ManifestReader.Parse(text, "dup/" + file));
        Assert.Contains("twice", ex.Message);
    }

    [Theory]
    [InlineData("metadata.json", "{\"id\":\"a\",\"x\":\"\\ud800\"}", "lone surrogate")]
    [InlineData("metadata.json", "{\"id\":\"a\",\"\\udfff\":1}", "lone surrogate")]
    [InlineData("metadata.json", "{\"id\":\"a\",\"x\":1\u0663}", "invalid JSON")]
    [InlineData("manifest.yaml", "id: a\rid: evil\nname: A\nversion: 1.0.0\nscope: {type: GLOBAL, target: x}\n", "carriage return")]
    [InlineData("metadata.json", "{\"id\":\"a\",\"exports\":[{\"name\":\"_\",\"args\":[]}]}", "not a valid identifier")]
    public void Text_that_readers_would_disagree_on_is_refused(string file, string text, string message)
    {
        var ex = Assert.Throws<PluginLoadException>(() => ManifestReader.Parse(text, "p/" + file));
        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void Yaml_numbers_and_booleans_read_as_upstream_reads_them()
    {
        var m = ManifestReader.Parse(
            "id: n\nname: N\nversion: 1.0.0\nscope: {type: MODULE, target: m}\npriority: 50.0\npermissions: {network: yes}\n" +
            "odd: 01.5\nentry_points: {backend: {runtime_limits: {cpu_shares: 00.5, memory_mb: 64.0, timeout_ms: 1e12}}}\n",
            "n/manifest.yaml");
        Assert.Equal(50, m.Priority);
        Assert.True(m.Permissions!.Network);
        Assert.Equal(1.5, m.Extra["odd"].GetDouble());
        Assert.Equal((0.5, 64L, 1_000_000_000_000L), (m.Limits.CpuShares, m.Limits.MemoryMb, m.Limits.TimeoutMs)); // the host's ceiling still applies
    }

    [Fact]
    public void A_manifest_linked_to_a_secret_does_not_repeat_it_in_the_error()
    {
        if (!OperatingSystem.IsLinux()) return;
        var secret = Path.Combine(_pool.Root, "secret.env");
        File.WriteAllText(secret, "API_KEY=supersecret123");
        var dir = _pool.Add("leak");
        File.CreateSymbolicLink(Path.Combine(dir, "manifest.yaml"), secret);
        var ex = Assert.Throws<PluginLoadException>(() => ManifestReader.ReadFolder(dir));
        Assert.DoesNotContain("supersecret", ex.Message);
        Assert.Contains("not a string", ex.Message);
    }

    [Fact]
    public void Both_files_must_name_the_same_plugin()
    {
        var dir = _pool.Add("twins");
        File.WriteAllText(Path.Combine(dir, "manifest.yaml"), "id: twins\nname: T\nversion: 1.0.0\nscope: {type: MODULE, target: m}\n");
        File.WriteAllText(Path.Combine(dir, "metadata.json"), "{\"id\":\"other\",\"version\":\"1.0.0\"}");
        var ex = Assert.Throws<PluginLoadException>(() => ManifestReader.ReadFolder(dir));
        Assert.Contains("the id is 'twins' in manifest.yaml but 'other' in metadata.json", ex.Message);
    }

    [Fact]
    public async Task Opening_checks_what_was_opened_so_a_fifo_swapped_in_after_the_path_check_cannot_hang_it()
    {
        if (!OperatingSystem.IsLinux()) return;
        // The race itself is not reproducible on demand; what closes it is testable: the open does not block on a FIFO
        // and refuses what it opened when that is not a regular file.
        var fifo = Path.Combine(_pool.Add("race"), "manifest.yaml");
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!)
        {
            await mkfifo.WaitForExitAsync().WaitAsync(HangGuard);
        }
        var ex = await Assert.ThrowsAsync<PluginLoadException>(() => Task.Run(() => BoundedFile.OpenRegular(fifo)).WaitAsync(HangGuard));
        Assert.Contains("not a regular file", ex.Message);
        var regular = Path.Combine(_pool.FolderOf("good"), "metadata.json");
        using var stream = BoundedFile.OpenRegular(regular);
        Assert.NotNull(stream);
        Assert.Equal(new FileInfo(regular).Length, stream!.Length);
    }

    [Fact]
    public void The_manifest_cache_stays_bounded_however_many_folders_are_read()
    {
        for (var i = 0; i < 300; i++) _pool.AddAnswer($"many-{i}");
        foreach (var dir in Directory.EnumerateDirectories(_pool.Root)) ManifestReader.ReadFolder(Path.Combine(dir, "1.0.0"));
        Assert.InRange(ManifestReader.CachedFolderCount, 1, 256);
    }
}
