using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>
/// A throw-away plugin folder (a <see cref="TempPlugin"/>: <c>logic.wat</c> from inline WAT text, or <c>logic.wasm</c>
/// from bytes, and optionally a <c>metadata.json</c>) with the sandbox tests' extras: a plugin id, rewriting the module
/// or manifest in place, and a runtime through the factory. The folder is deleted on dispose.
/// </summary>
internal sealed class TestPlugin : IDisposable
{
    private readonly TempPlugin _folder;

    private TestPlugin(string id, TempPlugin folder)
    {
        Id = id;
        _folder = folder;
    }

    /// <summary>The plugin id (also the manifest's id when <see cref="Manifest"/> built it).</summary>
    public string Id { get; }

    /// <summary>The plugin folder.</summary>
    public string Folder => _folder.Directory;

    /// <summary>The module file inside <see cref="Folder"/>.</summary>
    public string ModulePath => _folder.ModulePath;

    /// <summary>A plugin whose module is the WAT text <paramref name="wat"/> (<c>logic.wat</c>).</summary>
    public static TestPlugin FromWat(string wat, string? manifest = null, string id = "hostile") =>
        new(id, TempPlugin.FromWat(wat, manifest, name: id));

    /// <summary>A plugin whose module is <paramref name="wasm"/>, written as is (<c>logic.wasm</c>).</summary>
    public static TestPlugin FromBytes(byte[] wasm, string? manifest = null, string id = "hostile") =>
        new(id, TempPlugin.FromBytes(wasm, manifest, name: id));

    /// <summary>Replaces the module text (for "fix the plugin, start again").</summary>
    public void WriteModule(string wat) => File.WriteAllText(ModulePath, wat, new UTF8Encoding(false));

    /// <summary>Writes (or, for null, removes) <c>metadata.json</c>.</summary>
    public void WriteManifest(string? manifest)
    {
        var path = Path.Combine(Folder, ManifestReader.FileName);
        if (manifest is null) File.Delete(path);
        else File.WriteAllText(path, manifest, new UTF8Encoding(false));
    }

    /// <summary>
    /// A runtime for this plugin through the factory. A plugin that declares no exports (no manifest, or one without
    /// <c>exports</c>) is run in development mode (<see cref="PluginRuntimeOptions.AllowUndeclaredExports"/>), so these
    /// tests can call its functions without declaring them; otherwise the options are used as given. Tests of the
    /// closed default use <c>PluginRuntime.Create</c> directly.
    /// </summary>
    public PluginRuntime Create(IHostFunctions? host = null, PluginRuntimeOptions? options = null, IReadOnlyDictionary<string, object?>? initialState = null) =>
        PluginRuntime.Create(Id, ModulePath, host, initialState,
            ManifestReader.ReadFolder(Folder)?.Exports is not null ? options : DevOptions.Of(options));

    /// <summary>
    /// A minimal manifest: <paramref name="exports"/>, <paramref name="imports"/> and <paramref name="initialState"/> are raw
    /// JSON (array, array, object); <paramref name="limits"/> is the raw <c>runtime_limits</c> object.
    /// </summary>
    public static string Manifest(string id = "hostile", string? exports = null, string? imports = null, string? limits = null, string? initialState = null)
    {
        var parts = new List<string> { $"\"id\": \"{id}\"", "\"version\": \"1.0.0\"" };
        if (exports is not null) parts.Add($"\"exports\": {exports}");
        if (imports is not null) parts.Add($"\"imports\": {imports}");
        if (initialState is not null) parts.Add($"\"initial_state\": {initialState}");
        if (limits is not null) parts.Add($"\"entry_points\": {{ \"backend\": {{ \"runtime_limits\": {limits} }} }}");
        return "{\n  " + string.Join(",\n  ", parts) + "\n}\n";
    }

    public void Dispose() => _folder.Dispose();
}

/// <summary>Shared checks: a call fails with a kind in time, and the host still answers.</summary>
internal static class SandboxChecks
{
    /// <summary>The healthy counter plugin every failure test calls afterwards on a second runtime.</summary>
    public const string CounterWat = """
        (module
          (global $count (mut i32) (i32.const 0))
          (func (export "increment") (param $step i32) (result i32)
            (global.set $count (i32.add (global.get $count) (local.get $step)))
            (global.get $count))
          (func (export "get_count") (result i32) (global.get $count)))
        """;

    public const string CounterManifest = """
        {
          "id": "healthy-counter",
          "version": "1.0.0",
          "exports": [
            { "name": "increment", "args": [{ "name": "step", "type": "i32" }], "returns": "i32" },
            { "name": "get_count", "args": [], "returns": "i32" }
          ]
        }
        """;

    public static Dictionary<string, object?> Args(params (string Key, object? Value)[] pairs)
    {
        var data = new Dictionary<string, object?>();
        foreach (var (key, value) in pairs) data[key] = value;
        return data;
    }

    /// <summary>
    /// Calls until the runtime takes the call: a call that waited for the instance longer than its timeout allows ends
    /// as Overloaded without running, so retrying it keeps counts exact under contention.
    /// </summary>
    public static async ValueTask<IReadOnlyDictionary<string, object?>> CallRetryingOverloaded(PluginRuntime runtime, string function, IReadOnlyDictionary<string, object?>? data = null)
    {
        while (true)
        {
            try
            {
                return await runtime.CallAsync(function, data);
            }
            catch (PluginCallException ex) when (ex.Kind == PluginErrorKind.Overloaded)
            {
            }
        }
    }

    /// <summary>Runs <paramref name="call"/>, expects a <see cref="PluginCallException"/> of <paramref name="kind"/>, returns it.</summary>
    public static async Task<PluginCallException> FailsWith(PluginErrorKind kind, Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<PluginCallException>(call);
        Assert.True(ex.Kind == kind, $"expected Kind {kind}, got {ex.Kind}: {ex.Message}");
        return ex;
    }

    /// <summary>
    /// Like <see cref="FailsWith"/>, and the failure is raised within <paramref name="within"/>. Callers pass the call's
    /// own timeout plus a margin of seconds: the timeout is the quantity under test, and the margin makes the rest a hang
    /// guard on a loaded machine, not a timing check.
    /// </summary>
    public static async Task<PluginCallException> FailsWithin(PluginErrorKind kind, TimeSpan within, Func<Task> call)
    {
        var watch = Stopwatch.StartNew();
        var ex = await FailsWith(kind, call);
        watch.Stop();
        Assert.True(watch.Elapsed < within, $"the {kind} took {watch.Elapsed.TotalMilliseconds:F0} ms (limit {within.TotalMilliseconds:F0} ms)");
        return ex;
    }

    /// <summary>Calls an i32 export with no arguments and returns its result.</summary>
    public static async Task<int> CallInt(PluginRuntime runtime, string function, IReadOnlyDictionary<string, object?>? data = null)
    {
        var result = await runtime.CallAsync(function, data);
        return Assert.IsType<int>(result["result"]);
    }

    /// <summary>A second, healthy runtime still starts and answers: the host survived the failure.</summary>
    public static async Task AssertHostHealthy()
    {
        using var plugin = TestPlugin.FromWat(CounterWat, CounterManifest, "healthy-counter");
        await using var runtime = plugin.Create();
        await runtime.StartAsync();
        Assert.Equal(3, await CallInt(runtime, "increment", Args(("step", 3))));
        Assert.Equal(7, await CallInt(runtime, "increment", Args(("step", 4))));
        Assert.Equal("ok", (await runtime.CallAsync("ping"))["status"]);
    }
}

/// <summary>
/// Host functions for the tests: the built-ins plus whatever <see cref="Imports"/> adds, and a record of what the
/// guest logged.
/// </summary>
internal sealed class TestHost : BaseHostFunctions
{
    private readonly Action<HostImportRegistry>? _register;

    public TestHost(Action<HostImportRegistry>? register = null)
    {
        _register = register;
    }

    public List<string> Logged { get; } = [];

    protected override void RegisterImports(HostImportRegistry imports) => _register?.Invoke(imports);

    public override ValueTask LogAsync(LogLevel level, string message, CancellationToken cancellationToken = default)
    {
        lock (Logged) Logged.Add(message);
        return ValueTask.CompletedTask;
    }

    public override ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}

/// <summary>Options with <see cref="PluginRuntimeOptions.AllowUndeclaredExports"/> on, everything else as given.</summary>
internal static class DevOptions
{
    public static PluginRuntimeOptions Of(PluginRuntimeOptions? options)
    {
        var copy = new PluginRuntimeOptions { AllowUndeclaredExports = true };
        if (options is null) return copy;
        foreach (var property in typeof(PluginRuntimeOptions).GetProperties())
        {
            if (property.CanWrite && property.Name != nameof(PluginRuntimeOptions.AllowUndeclaredExports)) property.SetValue(copy, property.GetValue(options));
        }
        return copy;
    }
}
