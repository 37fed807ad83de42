using Microsoft.Extensions.Logging;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Runtime;

/// <summary>VYRA's selection rule: Wasmtime for a real module, the stub (with the reason logged) otherwise.</summary>
public class FactoryTests
{
    private static (PluginRuntime Runtime, ListLoggerFactory Log) Create(string path, bool preferStub = false, StubFallback fallback = StubFallback.Warn)
    {
        var log = new ListLoggerFactory();
        var runtime = PluginRuntime.Create("p", path, options: new PluginRuntimeOptions { LoggerFactory = log, PreferStub = preferStub, StubFallback = fallback });
        return (runtime, log);
    }

    [Fact]
    public void A_real_wasm_module_gets_the_wasmtime_backend()
    {
        var (runtime, _) = Create(SamplePlugins.Counter);
        Assert.IsType<WasmRuntime>(runtime);
        Assert.Equal("wasm", runtime.Backend);
        Assert.Equal(SamplePlugins.Counter, Assert.IsType<WasmRuntime>(runtime).WasmPath);
    }

    [Fact]
    public void A_wat_file_gets_the_wasmtime_backend()
    {
        using var plugin = TempPlugin.FromWat(";; comment first\n(module (func (export \"f\") (result i32) i32.const 1))");
        Assert.IsType<WasmRuntime>(Create(plugin.ModulePath).Runtime);
    }

    [Fact]
    public void PreferStub_wins_over_a_real_module()
    {
        var (runtime, log) = Create(SamplePlugins.Counter, preferStub: true);
        Assert.IsType<StubRuntime>(runtime);
        Assert.Contains(log.Lines, l => l.Message.Contains("PreferStub"));
        Assert.DoesNotContain(log.Lines, l => l.Level >= LogLevel.Warning);
    }

    [Fact]
    public void The_older_overload_with_preferStub_still_gives_the_stub()
    {
        Assert.IsType<StubRuntime>(PluginRuntime.Create("p", SamplePlugins.Counter, null, null, preferStub: true));
        Assert.IsType<WasmRuntime>(PluginRuntime.Create("p", SamplePlugins.Counter, null, null, preferStub: false));
    }

    [Fact]
    public void PreferStub_is_honoured_even_when_the_fallback_is_refused()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "logic.wasm");
        Assert.IsType<StubRuntime>(Create(path, preferStub: true, fallback: StubFallback.Refuse).Runtime);
    }

    [Fact]
    public void A_fallback_to_the_stub_is_a_warning_by_default()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "logic.wasm");
        var (_, log) = Create(path);
        Assert.Contains(log.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("falls back to the stub") && l.Message.Contains(path));
    }

    [Fact]
    public void Stub_fallback_allow_logs_the_reason_below_warning()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "logic.wasm");
        var (runtime, log) = Create(path, fallback: StubFallback.Allow);
        Assert.IsType<StubRuntime>(runtime);
        Assert.Contains(log.Lines, l => l.Level == LogLevel.Information && l.Message.Contains("no module file"));
        Assert.DoesNotContain(log.Lines, l => l.Level >= LogLevel.Warning);
    }

    [Fact]
    public void Stub_fallback_refuse_throws_naming_the_file_and_the_reason()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "logic.wasm");
        var ex = Assert.Throws<PluginLoadException>(() => Create(path, fallback: StubFallback.Refuse));
        Assert.Equal(path, ex.FilePath);
        Assert.Contains(path, ex.Message);
        Assert.Contains("no module file", ex.Message);
        Assert.Contains("StubFallback", ex.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00 }, "only a wasm header")]
    [InlineData(new byte[] { 0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00 }, "not a wasm module")]
    public void Stub_fallback_refuse_refuses_an_unusable_module(byte[] bytes, string reason)
    {
        using var plugin = TempPlugin.FromBytes(bytes);
        var ex = Assert.Throws<PluginLoadException>(() => Create(plugin.ModulePath, fallback: StubFallback.Refuse));
        Assert.Contains(reason, ex.Message);
        Assert.Equal(plugin.ModulePath, ex.FilePath);
    }

    [Fact]
    public void Stub_fallback_refuse_still_creates_a_real_module()
    {
        Assert.IsType<WasmRuntime>(Create(SamplePlugins.Counter, fallback: StubFallback.Refuse).Runtime);
    }

    [Fact]
    public void An_undefined_StubFallback_is_refused()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Create(SamplePlugins.Counter, fallback: (StubFallback)42));
        Assert.Contains("StubFallback", ex.Message);
    }

    [Fact]
    public void A_missing_file_gets_the_stub_and_the_reason_is_logged()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "logic.wasm");
        var (runtime, log) = Create(path);
        Assert.IsType<StubRuntime>(runtime);
        Assert.Contains(log.Lines, l => l.Message.Contains("no module file") && l.Message.Contains(path));
    }

    [Fact]
    public void A_directory_at_the_path_gets_the_stub()
    {
        using var plugin = TempPlugin.FromBytes([1, 2, 3]);
        var (runtime, log) = Create(plugin.Directory);
        Assert.IsType<StubRuntime>(runtime);
        Assert.Contains(log.Lines, l => l.Message.Contains("is a directory"));
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00 }, "only a wasm header")]
    [InlineData(new byte[] { 0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00 }, "not a wasm module")]
    [InlineData(new byte[0], "not a wasm module")]
    public void Non_modules_get_the_stub(byte[] bytes, string reason)
    {
        using var plugin = TempPlugin.FromBytes(bytes);
        var (runtime, log) = Create(plugin.ModulePath);
        Assert.IsType<StubRuntime>(runtime);
        Assert.Contains(log.Lines, l => l.Message.Contains(reason));
    }

    [Fact]
    public void A_wat_file_with_long_leading_comments_is_still_a_module()
    {
        var header = string.Concat(Enumerable.Repeat(";; a long licence header line that goes on and on\n", 200)) + "(; block\n comment ;)\n";
        using var plugin = TempPlugin.FromWat(header + "(module (func (export \"f\") (result i32) i32.const 1))");
        Assert.IsType<WasmRuntime>(Create(plugin.ModulePath).Runtime);
    }

    [Fact]
    public void A_wat_file_that_is_not_wat_gets_the_stub()
    {
        using var plugin = TempPlugin.FromWat("hello world");
        Assert.IsType<StubRuntime>(Create(plugin.ModulePath).Runtime);
    }

    [Fact]
    public async Task A_truncated_module_with_a_valid_header_fails_at_start_naming_the_file()
    {
        var bytes = File.ReadAllBytes(SamplePlugins.MathKit)[..40];
        using var plugin = TempPlugin.FromBytes(bytes);
        var (runtime, _) = Create(plugin.ModulePath);
        Assert.IsType<WasmRuntime>(runtime);
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains(plugin.ModulePath, ex.Message);
        Assert.Contains("not a valid WebAssembly module", ex.Message);
        Assert.False(runtime.IsRunning);
    }
}
