using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// The engines components compile on: the plugin engines' configuration (epoch interruption, fuel on or off, no
/// multi-memory, memory64 or threads) with the component model on. Kept apart from the core-module engines so their
/// disk-cache fingerprint and linkers are untouched. One per fuel setting, for the process, each with its own ticker.
/// </summary>
internal sealed class ComponentEngine
{
    private static readonly Lazy<ComponentEngine> Metered = new(() => new ComponentEngine(fuel: true));
    private static readonly Lazy<ComponentEngine> Unmetered = new(() => new ComponentEngine(fuel: false));

    private ComponentEngine(bool fuel)
    {
        using var config = new Config()
            .WithComponentModel(true)
            .WithEpochInterruption(true)
            .WithFuelConsumption(fuel)
            .WithMultiMemory(false)
            .WithMemory64(false)
            .WithWasmThreads(false);
        Engine = new Engine(config);
        Ticker = new EpochTicker(Engine);
        FuelEnabled = fuel;
        Fingerprint = $"component=1;epoch=1;fuel={(fuel ? 1 : 0)};multimemory=0;memory64=0;threads=0";
    }

    /// <summary>The configuration, for the disk cache's key: a serialized component loads only into the same one.</summary>
    public string Fingerprint { get; }

    public static ComponentEngine For(bool fuel) => fuel ? Metered.Value : Unmetered.Value;

    public Engine Engine { get; }

    public EpochTicker Ticker { get; }

    public bool FuelEnabled { get; }
}
