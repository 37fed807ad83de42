using System.Text;
using Microsoft.Extensions.Logging;
using Vyra.Sdk;
using Vyra.Sdk.Benchmarks.Plugins;
using Wasmtime;

namespace Vyra.Sdk.Benchmarks;

/// <summary>Where the plugins copied next to the program are, and the 1 KiB text the string cases move.</summary>
internal static class BenchPlugins
{
    /// <summary>1 KiB of ASCII (the same bytes host-echo keeps in its data segment).</summary>
    public static readonly string Text1K = string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. ", 30))[..1024];

    private static readonly Lazy<string> Root = new(FindRoot);

    public static string CounterWidget => Module("counter-widget", "logic.wasm");

    public static string TextTools => Module("text-tools", "logic.wasm");

    public static string HostEcho => Module("host-echo", "logic.wat");

    public static string Spin => Module("spin", "logic.wat");

    public static string BusEcho => Module("bus-echo", "logic.wat");

    private static string Module(string id, string file) => Path.Combine(Root.Value, id, "1.0.0", file);

    // BenchmarkDotNet runs the benchmarks from a program it builds in a sub-folder of this one's output: look upwards.
    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "plugins");
            if (File.Exists(Path.Combine(candidate, "counter-widget", "1.0.0", "logic.wasm"))) return candidate;
        }
        throw new InvalidOperationException($"no plugins folder above {AppContext.BaseDirectory}");
    }

    /// <summary>Starts a plugin synchronously (benchmark setup).</summary>
    public static T Started<T>(T plugin, Func<T, ValueTask> start)
    {
        start(plugin).AsTask().GetAwaiter().GetResult();
        return plugin;
    }
}

/// <summary>
/// The raw side of every comparison: Wasmtime used by hand, with an engine configured like the kernel's
/// (epoch interruption on, fuel off) but owned by the benchmark.
/// </summary>
internal sealed class RawWasm : IDisposable
{
    public RawWasm()
    {
        using var config = new Config().WithEpochInterruption(true).WithFuelConsumption(false);
        Engine = new Engine(config);
    }

    public Engine Engine { get; }

    public static Module Load(Engine engine, string path) =>
        path.EndsWith(".wat", StringComparison.OrdinalIgnoreCase)
            ? Module.FromTextFile(engine, path)
            : Module.FromFile(engine, path);

    /// <summary>A store with a deadline far away (nobody ticks this engine), as an epoch-interrupted store needs.</summary>
    public Store NewStore()
    {
        var store = new Store(Engine);
        store.SetEpochDeadline(1_000_000_000);
        return store;
    }

    public void Dispose() => Engine.Dispose();
}

/// <summary>The benchmark application's host: <c>host_echo</c> returns its argument (binding generated, no reflection).</summary>
[VyraHost]
public sealed partial class BenchHost : BaseHostFunctions, IHostEchoHost
{
    /// <summary>Wasm import <c>host_echo(text: string) -&gt; string</c>.</summary>
    public string host_echo(string text) => text;

    /// <inheritdoc />
    public override ValueTask LogAsync(LogLevel level, string message, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public override ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}

/// <summary>
/// host_echo registered by hand through the untyped callback (<c>ReadOnlySpan&lt;ValueBox&gt;</c> arguments,
/// <c>HostCall.GetString</c>/<c>ReturnString</c>): the path every generated binding took before the typed one.
/// </summary>
public sealed class UntypedEchoHost : BaseHostFunctions
{
    /// <inheritdoc />
    protected override void RegisterImports(HostImportRegistry imports) =>
        imports.Add("host_echo", [PluginValueType.String], [PluginValueType.String], call => call.ReturnString(call.GetString(0)));

    /// <inheritdoc />
    public override ValueTask LogAsync(LogLevel level, string message, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public override ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}

/// <summary>Small helpers for the raw string paths.</summary>
internal static class Utf8
{
    public static readonly UTF8Encoding Strict = new(false, true);
}
