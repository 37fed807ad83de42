namespace Vyra.Sdk;

/// <summary>
/// The host functions one runtime offers its plugin, by name. Built-ins (<c>host_log</c>, <c>host_emit_event</c>, and the bus's <c>log</c>, <c>notify_ui</c>, <c>publish</c>, <c>request</c>, <c>subscribe</c>, <c>serve</c>)
/// are registered first; a later registration under the same name replaces the earlier one.
/// </summary>
public sealed class HostImportRegistry
{
    private readonly Dictionary<string, HostImport> _imports = new(StringComparer.Ordinal);

    /// <summary>The imports a host offers: the built-ins, then (for a <see cref="BaseHostFunctions"/>) its generated and hand-registered ones.</summary>
    /// <remarks>
    /// <paramref name="backendImports"/> adds what the backend provides itself (the Wasm backend's bus imports), between
    /// the built-ins and the host's own, so a host may still replace them.
    /// </remarks>
    internal static HostImportRegistry For(IHostFunctions host, Microsoft.Extensions.Logging.ILogger logger, Action<HostImportRegistry>? backendImports = null)
    {
        var registry = new HostImportRegistry();
        BuiltInHostImports.Register(registry, host, logger);
        backendImports?.Invoke(registry);
        (host as BaseHostFunctions)?.CollectImports(registry);
        return registry;
    }

    /// <summary>Adds or replaces a host function.</summary>
    public HostImportRegistry Add(HostImport import)
    {
        ArgumentNullException.ThrowIfNull(import);
        _imports[import.Name] = import;
        return this;
    }

    /// <summary>Adds or replaces a host function from its parts.</summary>
    public HostImportRegistry Add(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportHandler handler) =>
        Add(new HostImport(name, parameters, results, handler));

    /// <summary>Looks a host function up by name.</summary>
    public bool TryGet(string name, out HostImport import) => _imports.TryGetValue(name, out import!);

    /// <summary>Every registered host function.</summary>
    public IEnumerable<HostImport> All => _imports.Values;
}
