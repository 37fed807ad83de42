using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// One loaded version of a plugin: where it came from, its manifest and limits, the compiled module and the contract it
/// was checked against. A start makes one; a hot swap makes another while the first still serves. Every instance knows
/// its version, so a pool refills a broken instance from the version it belonged to, never from a newer one.
/// </summary>
internal sealed record WasmVersion(string WasmPath, PluginManifest? Manifest, EffectiveLimits Limits, WasmEngine Engine, Module Module, ModuleSource Source, ModuleContract Contract, StartPreparation? Prepared = null)
{
    /// <summary>The manifest's version, or "(unversioned)" for messages.</summary>
    public string Label => Manifest?.Version ?? "(unversioned)";
}
