namespace Vyra.Sdk;

/// <summary>
/// A plugin's typed initial state, as the generator writes it (<c>CounterWidgetState</c>): the manifest's
/// <c>initial_state</c>, or for upstream manifests that declare none the arguments of <c>init</c> (docs/manifest.md).
/// By VYRA's rule it feeds the <c>init</c> export on start.
/// </summary>
public interface IPluginState
{
    /// <summary>The state as the runtime takes it: manifest key → value.</summary>
    IReadOnlyDictionary<string, object?> ToDictionary();
}
