using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Runtime;

/// <summary>
/// A <see cref="PluginImage"/> is a plugin read, verified and compiled once: runtimes made from it call exactly as runtimes
/// from the folder do, start without touching the folder (so they run the image's bytes, also after a restart), still
/// check each host against the module, and keep every limit and permission the manifest and the options set.
/// </summary>
public class PluginImageTests
{
    // Every test builds a module no other test has (a unique constant), so the process-wide caches start cold for it.
    private static int Unique() => Random.Shared.Next(1, 1_000_000);

    private static string Wat(int unique) => $$"""
        (module
          (import "vyra" "host_twice" (func $twice (param i32) (result i32)))
          (global $count (mut i32) (i32.const 0))
          (func (export "init") (param $start i32) (global.set $count (local.get $start)))
          (func (export "answer") (param i32) (result i32) (i32.add (call $twice (local.get 0)) (i32.const {{unique}})))
          (func (export "count") (result i32) (global.get $count))
          (func (export "spin") (loop $l (br $l))))
        """;

    private static string Manifest(string extra = "") => $$"""
        { "id": "imaged", "version": "1.0.0",
          "exports": [
            { "name": "init", "args": [{ "name": "start", "type": "i32" }] },
            { "name": "answer", "args": [{ "name": "x", "type": "i32" }], "returns": "i32" },
            { "name": "count", "args": [], "returns": "i32" },
            { "name": "spin", "args": [] }
          ],
          "initial_state": { "start": { "type": "i32", "default": 40 } }{{extra}} }
        """;

    /// <summary>A host whose <c>host_twice</c> multiplies by <paramref name="factor"/> (or is missing).</summary>
    private sealed class TwiceHost(int factor, bool missing = false) : BaseHostFunctions
    {
        protected override void RegisterImports(HostImportRegistry imports)
        {
            if (!missing) imports.Add("host_twice", [PluginValueType.I32], [PluginValueType.I32], call => call.ReturnInt32(call.GetInt32(0) * factor));
        }
    }

    private static async Task<int> Call(PluginRuntime runtime, string function, int? x = null) =>
        (int)(await runtime.CallAsync(function, x is null ? null : new Dictionary<string, object?> { ["x"] = x }))["result"]!;

    [Fact]
    public async Task A_runtime_from_an_image_calls_as_a_runtime_from_the_folder_does()
    {
        var unique = Unique();
        using var plugin = TempPlugin.FromWat(Wat(unique), Manifest());
        await using var fromFolder = new WasmRuntime("imaged", plugin.ModulePath, new TwiceHost(2));
        await fromFolder.StartAsync();

        var image = await PluginImage.LoadAsync(plugin.ModulePath);
        await using var fromImage = image.CreateRuntime(host: new TwiceHost(2));
        Assert.Equal("imaged", fromImage.PluginId); // the manifest's id by default
        Assert.Same(image.Options, fromImage.Options);
        Assert.Equal(plugin.ModulePath, fromImage.WasmPath);
        await fromImage.StartAsync();

        Assert.Same(fromFolder.LoadedModule, fromImage.LoadedModule); // the same bytes: one compiled module
        Assert.Same(image.Manifest, fromImage.Manifest);
        foreach (var x in new[] { 0, 7, -3 }) Assert.Equal(await Call(fromFolder, "answer", x), await Call(fromImage, "answer", x));
        Assert.Equal(2 * 7 + unique, await Call(fromImage, "answer", 7));
        Assert.Equal(40, await Call(fromImage, "count")); // init ran with the manifest's default, as from the folder
        Assert.Equal(await Call(fromFolder, "count"), await Call(fromImage, "count"));

        await using var seeded = image.CreateRuntime("seeded", new TwiceHost(2), new Dictionary<string, object?> { ["start"] = 5 });
        await seeded.StartAsync();
        Assert.Equal("seeded", seeded.PluginId);
        Assert.Equal(5, await Call(seeded, "count"));
    }

    [Fact]
    public async Task Starts_from_an_image_read_no_file_and_build_no_new_preparation()
    {
        var unique = Unique();
        using var plugin = TempPlugin.FromWat(Wat(unique), Manifest());
        var image = await PluginImage.LoadAsync(plugin.ModulePath);
        await using var first = image.CreateRuntime(host: new TwiceHost(2));
        await first.StartAsync();
        var prepared = first.Preparation;
        Assert.NotNull(prepared);

        // The folder is gone: a start that read or checked a file would fail.
        var moved = plugin.Directory + "-moved";
        Directory.Move(plugin.Directory, moved);
        try
        {
            await first.StopAsync();
            await first.StartAsync();
            Assert.Equal(2 * 3 + unique, await Call(first, "answer", 3));
            var others = new List<WasmRuntime>();
            for (var i = 0; i < 5; i++)
            {
                var runtime = image.CreateRuntime(host: new TwiceHost(2));
                others.Add(runtime);
                await runtime.StartAsync();
                Assert.Equal(2 * i + unique, await Call(runtime, "answer", i));
            }
            Assert.All(others, r => Assert.Same(prepared, r.Preparation));
            Assert.Same(prepared, first.Preparation);
            Assert.Equal(7, prepared.Starts);
            Assert.Equal(1, StartPreparations.CountFor(first.LoadedModule!));
            foreach (var runtime in others) await runtime.DisposeAsync();

            // A runtime from the folder's path fails as it always did: the image changed nothing of the file path.
            await using var fromFolder = new WasmRuntime("imaged", plugin.ModulePath, new TwiceHost(2));
            await Assert.ThrowsAsync<PluginLoadException>(() => fromFolder.StartAsync().AsTask());
        }
        finally
        {
            Directory.Move(moved, plugin.Directory);
        }
    }

    [Fact]
    public async Task An_edited_module_is_not_seen_by_a_restart_from_the_image_but_by_a_new_image()
    {
        var unique = Unique();
        using var plugin = TempPlugin.FromWat(Wat(unique), Manifest());
        var image = await PluginImage.LoadAsync(plugin.ModulePath);
        await using var runtime = image.CreateRuntime(host: new TwiceHost(2));
        await runtime.StartAsync();
        Assert.Equal(unique, await Call(runtime, "answer", 0));

        File.WriteAllText(plugin.ModulePath, Wat(unique + 1));
        File.SetLastWriteTimeUtc(plugin.ModulePath, DateTime.UtcNow.AddMinutes(1));
        await runtime.StopAsync();
        await runtime.StartAsync();
        Assert.Equal(unique, await Call(runtime, "answer", 0)); // the image's bytes, as loaded

        var edited = await PluginImage.LoadAsync(plugin.ModulePath);
        await using var fresh = edited.CreateRuntime(host: new TwiceHost(2));
        await fresh.StartAsync();
        Assert.Equal(unique + 1, await Call(fresh, "answer", 0));
        Assert.NotSame(runtime.LoadedModule, fresh.LoadedModule);
        Assert.Equal(unique, await Call(runtime, "answer", 0)); // the old image keeps its module alive and serving
    }

    [Fact]
    public async Task A_hot_swap_to_a_path_leaves_the_image_and_later_starts_read_the_files()
    {
        var unique = Unique();
        using var plugin = TempPlugin.FromWat(Wat(unique), Manifest());
        using var next = TempPlugin.FromWat(Wat(unique + 1), Manifest().Replace("1.0.0", "1.1.0"));
        var image = await PluginImage.LoadAsync(plugin.ModulePath);
        await using var runtime = image.CreateRuntime(host: new TwiceHost(2));
        await runtime.StartAsync();

        var swapped = await runtime.SwapAsync(next.ModulePath);
        Assert.True(swapped.Succeeded, swapped.Message);
        Assert.Equal(unique + 1, await Call(runtime, "answer", 0));

        // Now the runtime loads from files: an edit of the swapped-in module is seen at the next start.
        File.WriteAllText(next.ModulePath, Wat(unique + 2));
        File.SetLastWriteTimeUtc(next.ModulePath, DateTime.UtcNow.AddMinutes(1));
        await runtime.StopAsync();
        await runtime.StartAsync();
        Assert.Equal(unique + 2, await Call(runtime, "answer", 0));
    }

    [Fact]
    public async Task The_manifests_limits_and_permissions_apply_and_cannot_lift_the_hosts_caps()
    {
        var unique = Unique();
        var limited = """, "permissions": { "interfaces": ["publish:sensors"] }, "entry_points": { "backend": { "runtime_limits": { "fuel": 1000000000 } } }""";
        using var plugin = TempPlugin.FromWat(Wat(unique), Manifest(limited));
        // The host caps fuel at 100,000: the manifest's far larger figure must not lift it.
        var image = await PluginImage.LoadAsync(plugin.ModulePath, new PluginRuntimeOptions { Fuel = 100_000, Timeout = TimeSpan.FromSeconds(20) });
        await using var runtime = image.CreateRuntime(host: new TwiceHost(2));
        await runtime.StartAsync();

        var outOfFuel = await Assert.ThrowsAsync<PluginCallException>(() => runtime.CallAsync("spin").AsTask());
        Assert.Equal(PluginErrorKind.OutOfFuel, outOfFuel.Kind);
        Assert.Equal(unique + 2, await Call(runtime, "answer", 1)); // the instance was refilled and serves

        Assert.Equal("publish:sensors", runtime.Facade.Allowed);
        var denied = await Assert.ThrowsAsync<PluginCallException>(() => runtime.Facade.PublishAsync("elsewhere/t", default).AsTask());
        Assert.Equal(PluginErrorKind.PermissionDenied, denied.Kind);
    }

    [Fact]
    public async Task Guest_code_stays_guarded_a_start_function_and_a_first_call_time_out()
    {
        var unique = Unique();
        var options = new PluginRuntimeOptions { Timeout = TimeSpan.FromMilliseconds(200) };
        // A start function that never ends: it runs at every instantiation, so under the guard from the image too.
        var looping = $$"""(module (func $spin (loop $l (br $l))) (start $spin) (func (export "answer") (result i32) i32.const {{unique}}))""";
        using var endless = TempPlugin.FromWat(looping, """{ "id": "imaged", "version": "1.0.0", "exports": [{ "name": "answer", "args": [], "returns": "i32" }] }""");
        var image = await PluginImage.LoadAsync(endless.ModulePath, options); // loading instantiates nothing
        await using var starting = image.CreateRuntime();
        var failed = await Assert.ThrowsAsync<PluginLoadException>(() => starting.StartAsync().AsTask());
        Assert.Equal(PluginErrorKind.Timeout, Assert.IsType<PluginCallException>(failed.InnerException).Kind);

        // A module whose start runs no guest code: its store is watched from its first call on, which still times out,
        // and a stop still interrupts a call in flight.
        using var plugin = TempPlugin.FromWat(Wat(unique), Manifest());
        var quiet = await PluginImage.LoadAsync(plugin.ModulePath, options);
        await using var runtime = quiet.CreateRuntime(host: new TwiceHost(2));
        await runtime.StartAsync();
        var timedOut = await Assert.ThrowsAsync<PluginCallException>(() => runtime.CallAsync("spin").AsTask());
        Assert.Equal(PluginErrorKind.Timeout, timedOut.Kind);
        Assert.Equal(unique + 2, await Call(runtime, "answer", 1));
    }

    [Fact]
    public async Task Each_host_gets_its_own_contract_check_and_a_missing_import_fails_as_from_the_folder()
    {
        var unique = Unique();
        using var plugin = TempPlugin.FromWat(Wat(unique), Manifest());
        var image = await PluginImage.LoadAsync(plugin.ModulePath);
        await using var doubling = image.CreateRuntime(host: new TwiceHost(2));
        await using var tripling = image.CreateRuntime(host: new TwiceHost(3));
        await doubling.StartAsync();
        await tripling.StartAsync();
        Assert.Equal(2 * 5 + unique, await Call(doubling, "answer", 5));
        Assert.Equal(3 * 5 + unique, await Call(tripling, "answer", 5));

        await using var missing = image.CreateRuntime(host: new TwiceHost(2, missing: true));
        var fromImage = await Assert.ThrowsAsync<PluginLoadException>(() => missing.StartAsync().AsTask());
        await using var missingFromFolder = new WasmRuntime("imaged", plugin.ModulePath, new TwiceHost(2, missing: true));
        var fromFolder = await Assert.ThrowsAsync<PluginLoadException>(() => missingFromFolder.StartAsync().AsTask());
        Assert.Contains("import 'vyra.host_twice' is not provided by the host", fromImage.Message);
        Assert.Equal(fromFolder.Message, fromImage.Message);
        Assert.False(missing.IsRunning);

        // No host at all: the same check.
        await using var hostless = image.CreateRuntime();
        Assert.Contains("import 'vyra.host_twice' is not provided by the host", (await Assert.ThrowsAsync<PluginLoadException>(() => hostless.StartAsync().AsTask())).Message);
    }

    [Fact]
    public async Task Loading_a_bad_plugin_fails_in_LoadAsync_naming_the_file()
    {
        var unique = Unique();
        using var badManifest = TempPlugin.FromWat(Wat(unique), """{ "id": "imaged", "version": "1.0.0", "exports": 42 }""");
        var manifest = await Assert.ThrowsAsync<PluginLoadException>(() => PluginImage.LoadAsync(badManifest.ModulePath));
        Assert.Contains("metadata.json", manifest.Message);

        using var badModule = TempPlugin.FromWat("(module (func (export \"answer\") (result i32) i64.const 1))", Manifest());
        var module = await Assert.ThrowsAsync<PluginLoadException>(() => PluginImage.LoadAsync(badModule.ModulePath));
        Assert.Contains(badModule.ModulePath, module.Message);

        using var checksum = TempPlugin.FromWat(Wat(unique), Manifest($$""", "checksum": "sha256:{{new string('0', 64)}}" """));
        var mismatch = await Assert.ThrowsAsync<PluginLoadException>(() => PluginImage.LoadAsync(checksum.ModulePath));
        Assert.Contains(checksum.ModulePath, mismatch.Message);
        Assert.Equal("$.checksum", mismatch.Field);

        var absent = Path.Combine(badModule.Directory, "nothing-here", "logic.wasm");
        Assert.Contains(absent, (await Assert.ThrowsAsync<PluginLoadException>(() => PluginImage.LoadAsync(absent))).Message);
    }

    [Fact]
    public async Task Many_threads_create_and_start_runtimes_from_one_image_at_once()
    {
        var unique = Unique();
        using var plugin = TempPlugin.FromWat(Wat(unique), Manifest());
        var image = await PluginImage.LoadAsync(plugin.ModulePath);
        using var go = new ManualResetEventSlim();
        var workers = Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            go.Wait();
            var preparations = new HashSet<object>(ReferenceEqualityComparer.Instance);
            for (var i = 0; i < 25; i++)
            {
                var factor = t % 2 == 0 ? 2 : 3; // two hosts of one signature: one preparation between them
                await using var runtime = image.CreateRuntime(host: new TwiceHost(factor));
                await runtime.StartAsync();
                Assert.Equal(factor * i + unique, await Call(runtime, "answer", i));
                Assert.Equal(40, await Call(runtime, "count"));
                preparations.Add(runtime.Preparation!);
            }
            return preparations;
        })).ToList();
        go.Set();
        var seen = (await Task.WhenAll(workers)).SelectMany(p => p).Distinct(ReferenceEqualityComparer.Instance).ToList();
        Assert.Single(seen);
    }
}
