namespace Vyra.Sdk;

/// <summary>How a hot swap (<see cref="WasmRuntime.SwapAsync"/>) treats callers and state.</summary>
public sealed class PluginSwapOptions
{
    /// <summary>The defaults: refuse a swap that breaks callers, carry the state when both versions can.</summary>
    public static PluginSwapOptions Default { get; } = new();

    /// <summary>
    /// Swap even when the new version removes an export or changes its signature. Callers of the changed exports then
    /// fail (typed proxies with <see cref="PluginErrorKind.Abi"/> or <see cref="PluginErrorKind.UnknownFunction"/>).
    /// </summary>
    public bool Force { get; init; }

    /// <summary>
    /// Carry the plugin's state into the new version through its <c>vyra_snapshot</c> and <c>vyra_restore</c> exports
    /// (docs/abi.md, "Lifecycle exports") when the old version has the one and the new version the other. Default true.
    /// </summary>
    public bool CarryState { get; init; } = true;
}
