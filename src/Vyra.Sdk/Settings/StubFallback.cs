namespace Vyra.Sdk;

/// <summary>
/// What <see cref="PluginRuntime.Create(string, string, IHostFunctions?, IReadOnlyDictionary{string, object?}?, PluginRuntimeOptions?)"/>
/// does when the plugin's module is missing or unusable (no file, not a wasm or wat module, a frontend-only plugin).
/// An explicit <see cref="PluginRuntimeOptions.PreferStub"/> is never a fallback: it always gives the stub, silently.
/// </summary>
public enum StubFallback
{
    /// <summary>Use the stub backend and log the reason as a warning (the default: the plugin still answers, but not in silence).</summary>
    Warn,

    /// <summary>Use the stub backend and log the reason at information level (tests, design-time tools).</summary>
    Allow,

    /// <summary>Throw a <see cref="PluginLoadException"/> that names the module file and the reason.</summary>
    Refuse,
}
