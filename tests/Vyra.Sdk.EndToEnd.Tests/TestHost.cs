using Vyra.Sdk;
using Vyra.Sdk.EndToEnd.Tests.Plugins;

namespace Vyra.Sdk.EndToEnd.Tests;

/// <summary>A host whose imports are bound by the generator; implementing the generated interface is checked by the compiler.</summary>
[VyraHost]
public sealed partial class TestHost : BaseHostFunctions, IHostCalcHost
{
    public int AddCalls { get; private set; }

    public List<string> Logs { get; } = [];

    public List<string> Events { get; } = [];

    public int host_add(int a, int b)
    {
        AddCalls++;
        return unchecked(a + b);
    }

    public string host_lookup(string key) => key == "answer" ? "42" : $"unknown:{key}";

    public override ValueTask LogAsync(Microsoft.Extensions.Logging.LogLevel level, string message, CancellationToken cancellationToken = default)
    {
        lock (Logs) Logs.Add(message);
        return ValueTask.CompletedTask;
    }

    public override ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default)
    {
        lock (Events) Events.Add(eventName);
        return ValueTask.CompletedTask;
    }
}

internal static class SamplePlugins
{
    public static string Module(string id) => Path.Combine(AppContext.BaseDirectory, "plugins", id, "1.0.0", "logic.wasm");

    public static async ValueTask<object?> Call(PluginRuntime runtime, string function, params (string Key, object? Value)[] args)
    {
        var data = args.ToDictionary(a => a.Key, a => a.Value);
        var result = await runtime.CallAsync(function, data);
        return result.TryGetValue("result", out var value) ? value : null;
    }
}
