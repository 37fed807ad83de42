using Microsoft.Extensions.Logging;
using Vyra.Sdk;
using Vyra.Samples.Host.Plugins;

namespace Vyra.Samples.Host;

/// <summary>
/// The application's side of the sandbox wall. <c>partial</c> so the generator can add the wasm import bindings of the
/// <c>host_*</c> methods (no reflection); implementing <see cref="IHostCalcHost"/>, generated from host-calc's manifest,
/// makes a forgotten host function a compile error.
/// </summary>
[VyraHost]
public sealed partial class SampleHost : BaseHostFunctions, IHostCalcHost
{
    private readonly Dictionary<string, string> _facts = new(StringComparer.Ordinal)
    {
        ["answer"] = "42",
        ["greeting"] = "hello from the host",
    };

    /// <summary>Creates the host; plugin logs go to <paramref name="output"/>.</summary>
    public SampleHost(TextWriter output, ILogger? logger = null)
        : base(logger)
    {
        Output = output;
    }

    /// <summary>Where guest logs and events are printed.</summary>
    public TextWriter Output { get; }

    /// <summary>How often the guest called <c>host_add</c>.</summary>
    public int HostAddCalls { get; private set; }

    /// <summary>Wasm import <c>host_add(a: i32, b: i32) -> i32</c>.</summary>
    public int host_add(int a, int b)
    {
        HostAddCalls++;
        return unchecked(a + b);
    }

    /// <summary>Wasm import <c>host_lookup(key: string) -> string</c>.</summary>
    public string host_lookup(string key) =>
        _facts.TryGetValue(key, out var value) ? value : $"(no entry for '{key}')";

    /// <inheritdoc />
    public override ValueTask LogAsync(LogLevel level, string message, CancellationToken cancellationToken = default)
    {
        Output.WriteLine($"    [plugin log] {message}");
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default)
    {
        // Every call result is notified as plugin.<fn>.result; print only the plugin's own events.
        if (!eventName.StartsWith("plugin.", StringComparison.Ordinal))
        {
            data.TryGetValue("payload", out var payload);
            Output.WriteLine($"    [plugin event] {eventName}: {payload}");
        }
        return ValueTask.CompletedTask;
    }
}
