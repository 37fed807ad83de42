using System.Diagnostics;
using Vyra.Sdk;
using Xunit;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>
/// Compilation is the step no timeout covers, so a module over the host's bounds is refused on its bytes before
/// Wasmtime sees it, with an error naming the file and the bound; a cancelled start stops waiting for a compile.
/// </summary>
public class CompileBoundsTests
{
    private static async Task<PluginLoadException> StartFails(TestPlugin plugin, PluginRuntimeOptions? options = null)
    {
        await using var runtime = plugin.Create(options: options);
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains(plugin.ModulePath, ex.Message);
        Assert.Equal(plugin.ModulePath, ex.FilePath);
        Assert.False(runtime.IsRunning);
        return ex;
    }

    [Fact]
    public async Task A_hundred_thousand_exports_are_refused_before_compiling()
    {
        using var plugin = TestPlugin.FromBytes(WasmBytes.Module(exports: 100_000), TestPlugin.Manifest(exports: "[]"));
        var ex = await StartFails(plugin);
        Assert.Contains("refused before compiling", ex.Message);
        Assert.Contains("100000 exports", ex.Message);
        Assert.Contains("ModuleLimits.MaxExports = 1000", ex.Message);
    }

    [Fact]
    public async Task Too_many_functions_are_refused()
    {
        using var plugin = TestPlugin.FromBytes(WasmBytes.Module(functions: 20_000), TestPlugin.Manifest(exports: "[]"));
        var ex = await StartFails(plugin);
        Assert.Contains("ModuleLimits.MaxFunctions", ex.Message);
    }

    [Fact]
    public async Task A_huge_function_body_is_refused()
    {
        using var plugin = TestPlugin.FromBytes(WasmBytes.Module(bodyOps: 300_000), TestPlugin.Manifest(exports: "[]"));
        var ex = await StartFails(plugin);
        Assert.Contains("ModuleLimits.MaxFunctionBodyBytes", ex.Message);
    }

    [Fact]
    public async Task A_function_declaring_a_million_locals_is_refused_by_the_hosts_bound()
    {
        using var plugin = TestPlugin.FromBytes(WasmBytes.Module(locals: 1_000_000), TestPlugin.Manifest(exports: "[]"));
        var ex = await StartFails(plugin);
        Assert.Contains("1000000 locals", ex.Message);
        Assert.Contains("ModuleLimits.MaxLocalsPerFunction", ex.Message);
    }

    [Fact]
    public async Task A_module_over_the_size_bound_is_refused_by_its_length()
    {
        using var plugin = TestPlugin.FromBytes(WasmBytes.Module(bodyOps: 5000), TestPlugin.Manifest(exports: "[]"));
        var ex = await StartFails(plugin, new PluginRuntimeOptions { ModuleLimits = new ModuleLimits { MaxModuleBytes = 1000 } });
        Assert.Contains("ModuleLimits.MaxModuleBytes = 1000", ex.Message);
    }

    [Fact]
    public async Task Text_modules_meet_the_same_bounds()
    {
        var wat = "(module (func $f) " + string.Concat(Enumerable.Range(0, 50).Select(i => $"(export \"e{i}\" (func $f)) ")) + ")";
        using var plugin = TestPlugin.FromWat(wat, TestPlugin.Manifest(exports: "[]"));
        var ex = await StartFails(plugin, new PluginRuntimeOptions { ModuleLimits = new ModuleLimits { MaxExports = 10 } });
        Assert.Contains("50 exports", ex.Message);
    }

    [Fact]
    public async Task The_bounds_apply_to_a_module_already_compiled_for_a_looser_runtime()
    {
        using var plugin = TestPlugin.FromBytes(WasmBytes.Module(exports: 50), TestPlugin.Manifest(exports: "[]"));
        await using (var loose = plugin.Create())
        {
            await loose.StartAsync();
        }
        var ex = await StartFails(plugin, new PluginRuntimeOptions { ModuleLimits = new ModuleLimits { MaxExports = 10 } });
        Assert.Contains("ModuleLimits.MaxExports = 10", ex.Message);
    }

    [Theory]
    [InlineData("a section size LEB128 of six bytes", new byte[] { 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 })]
    [InlineData("a section size past the end", new byte[] { 0x01, 0x7F, 0x01 })]
    [InlineData("a count LEB128 beyond 32 bits", new byte[] { 0x07, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F })]
    [InlineData("an unknown section", new byte[] { 0x2A, 0x00 })]
    public async Task Malformed_headers_are_refused_naming_what_is_wrong(string what, byte[] tail)
    {
        using var plugin = TestPlugin.FromBytes([.. WasmBytes.Header, .. tail], TestPlugin.Manifest(exports: "[]"));
        var ex = await StartFails(plugin);
        Assert.True(ex.Message.Contains("not a valid WebAssembly module"), $"{what}: {ex.Message}");
    }

    [Fact]
    public void The_scanner_never_throws_on_random_bytes()
    {
        var random = new Random(17);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            if (i % 2 == 0 && bytes.Length >= 8) WasmBytes.Header.CopyTo(bytes, 0);
            var shape = ModuleBounds.Scan(bytes, out var malformed);
            Assert.True(shape is not null || malformed is not null);
        }
    }

    [Fact]
    public void The_sample_plugins_meet_the_default_bounds()
    {
        foreach (var id in new[] { "counter-widget", "math-kit", "text-tools", "host-calc" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(Path.GetDirectoryName(Support.SamplePlugins.Path(id))!, "logic.wasm"));
            var shape = ModuleBounds.Scan(bytes, out var malformed);
            Assert.True(shape is not null, $"{id}: {malformed}");
            Assert.Null(shape.Violation(ModuleLimits.Default));
        }
    }

    [Fact]
    public async Task A_start_cancelled_before_it_begins_compiles_nothing_and_is_not_running()
    {
        using var plugin = TestPlugin.FromBytes(WasmBytes.Module(), TestPlugin.Manifest(exports: "[]"));
        await using var runtime = plugin.Create();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await runtime.StartAsync(cancelled.Token));
        Assert.False(runtime.IsRunning);
        await runtime.StartAsync(); // and a later start works
        Assert.True(runtime.IsRunning);
    }

    [Fact]
    public async Task A_start_cancelled_while_compiling_stops_waiting_for_the_compile()
    {
        // Within the default bounds but slow to compile: many functions with long bodies, unique bytes (no cache hit).
        var module = WasmBytes.Module(functions: 1000, bodyOps: 1500 + Random.Shared.Next(1000));
        using var plugin = TestPlugin.FromBytes(module, TestPlugin.Manifest(exports: "[]"));
        await using var runtime = plugin.Create();
        using var cancel = new CancellationTokenSource();
        var watch = Stopwatch.StartNew();
        var start = runtime.StartAsync(cancel.Token).AsTask();
        Assert.False(start.IsCompleted); // it waits for the compile on a worker
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => start);
        var cancelledAfter = watch.Elapsed;
        Assert.False(runtime.IsRunning);

        // The compile itself runs to its end in the background; the cancelled start did not wait for it.
        await runtime.StartAsync();
        Assert.True(watch.Elapsed > cancelledAfter * 2, $"cancelled after {cancelledAfter.TotalMilliseconds:F0} ms, compiled after {watch.Elapsed.TotalMilliseconds:F0} ms");
    }
}
