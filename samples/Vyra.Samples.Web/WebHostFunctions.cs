using Microsoft.Extensions.Logging;
using Vyra.Sdk;
using Vyra.Samples.Web.Plugins;

namespace Vyra.Samples.Web;

/// <summary>
/// The application's host functions, registered as <see cref="IHostFunctions"/> so every plugin gets them. <c>partial</c>
/// for the generator's import bindings of the <c>host_*</c> methods that host-calc imports.
/// </summary>
[VyraHost]
public sealed partial class WebHostFunctions : BaseHostFunctions, IHostCalcHost
{
    private readonly Dictionary<string, string> _facts = new(StringComparer.Ordinal)
    {
        ["answer"] = "42",
        ["greeting"] = "hello from the web host",
    };

    /// <summary>Creates the host functions; guest logs go to <paramref name="logger"/>.</summary>
    public WebHostFunctions(ILogger<WebHostFunctions> logger)
        : base(logger)
    {
    }

    /// <summary>Wasm import <c>host_add(a: i32, b: i32) -> i32</c>.</summary>
    public int host_add(int a, int b) => unchecked(a + b);

    /// <summary>Wasm import <c>host_lookup(key: string) -> string</c>.</summary>
    public string host_lookup(string key) => _facts.TryGetValue(key, out var value) ? value : $"(no entry for '{key}')";

    /// <inheritdoc />
    public override ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default)
    {
        Logger.LogDebug("notify_ui {EventName}", eventName);
        return ValueTask.CompletedTask;
    }
}
