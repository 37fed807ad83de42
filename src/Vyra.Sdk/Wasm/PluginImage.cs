using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// A plugin read, verified and compiled once, from which runtimes start without touching the file system (Wasmtime's
/// "instance pre" idea, one level up): <see cref="LoadAsync"/> does everything a <see cref="WasmRuntime"/> start does
/// with files — the signature policy, the manifest, the checksum, the limits resolved with the options, the module from
/// the memory or disk cache or compiled, and the check that the bytes compiled are the bytes verified — and
/// <see cref="CreateRuntime"/> makes runtimes whose every start takes this manifest and module as they are.
/// </summary>
/// <remarks>
/// <para>
/// Use an image where runtimes of one plugin are started often (a runtime per tenant, per session or per request): a
/// start from it makes no system call to learn that nothing changed. A runtime from an image runs exactly the image's
/// bytes, also when it is stopped and started again: an edited plugin is picked up by loading a new image (or by a hot
/// swap to a path, <see cref="WasmRuntime.SwapAsync"/>, which loads from the files as always; the runtime then
/// leaves the image). Everything else a runtime guarantees is unchanged: limits, permissions, leases, the refusal of
/// re-entrant calls, timeouts, stop and the bus.
/// </para>
/// <para>
/// The image owns its options: the limits were resolved with them at load (a manifest may only lower the host's caps),
/// and every runtime it creates runs under the same options, so no runtime can pair the image's limits with other ones.
/// Each runtime's host is still checked against the module's imports (once per host signature set, cached per module
/// and manifest), so two hosts with different functions get their own contract check.
/// </para>
/// </remarks>
public sealed class PluginImage
{
    private PluginImage(string wasmPath, PluginManifest? manifest, EffectiveLimits limits, WasmEngine engine, Module module, ModuleSource source,
        PluginRuntimeOptions options, SignaturePolicy? discoveredSignatures)
    {
        WasmPath = wasmPath;
        Manifest = manifest;
        Limits = limits;
        Engine = engine;
        Module = module;
        ModuleSource = source;
        Options = options;
        DiscoveredSignatures = discoveredSignatures;
    }

    /// <summary>The module file the image was loaded from (its folder held the manifest).</summary>
    public string WasmPath { get; }

    /// <summary>The manifest read (the verified bytes, when the plugin is signed); null when the plugin has none.</summary>
    public PluginManifest? Manifest { get; }

    /// <summary>Where the compiled module came from at load.</summary>
    public ModuleSource ModuleSource { get; }

    /// <summary>The options the limits were resolved with; every runtime created from the image runs under them.</summary>
    public PluginRuntimeOptions Options { get; }

    internal EffectiveLimits Limits { get; }

    internal WasmEngine Engine { get; }

    internal Module Module { get; }

    /// <summary>The catalog's signature policy the image was loaded under, when the options set none.</summary>
    internal SignaturePolicy? DiscoveredSignatures { get; }

    /// <summary>
    /// Reads, verifies and compiles the plugin at <paramref name="wasmPath"/> (<c>.wasm</c> or <c>.wat</c>; the manifest
    /// is read from its folder), as a start of a <see cref="WasmRuntime"/> would.
    /// </summary>
    /// <exception cref="PluginLoadException">The plugin cannot be loaded (the message names the file, and the field when it is the manifest's).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<PluginImage> LoadAsync(string wasmPath, PluginRuntimeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(wasmPath);
        options ??= PluginRuntimeOptions.Default;
        WasmRuntime.ValidateOptions(options);
        var logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger(typeof(WasmRuntime).FullName ?? nameof(WasmRuntime));
        return await LoadFilesAsync(wasmPath, options, null, logger, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates a stopped runtime that starts from this image. <paramref name="pluginId"/> defaults to the manifest's id
    /// (or, without a manifest, the module's file name).
    /// </summary>
    public WasmRuntime CreateRuntime(string? pluginId = null, IHostFunctions? host = null, IReadOnlyDictionary<string, object?>? initialState = null) =>
        new(pluginId ?? Manifest?.Id ?? Path.GetFileNameWithoutExtension(WasmPath), this, host, initialState);

    /// <summary>
    /// Reads a version's manifest, resolves its limits, and compiles (or finds) its module on a worker thread, so a
    /// cancelled load stops waiting at once. Cranelift itself cannot be interrupted: a compile already running finishes
    /// in the background, bounded by the checks of <see cref="PluginRuntimeOptions.ModuleLimits"/> made before it began,
    /// and its result stays in the process cache. <paramref name="pluginId"/> names the runtime in log messages (null:
    /// an image, named by its path).
    /// </summary>
    internal static async ValueTask<PluginImage> LoadFilesAsync(string wasmPath, PluginRuntimeOptions options, SignaturePolicy? discoveredSignatures, ILogger logger,
        string? pluginId, CancellationToken cancellationToken)
    {
        var (manifest, limits, engine, verified) = ReadManifest(wasmPath, options, discoveredSignatures, logger, pluginId);
        cancellationToken.ThrowIfCancellationRequested();
        Module module;
        ModuleSource source;
        // A module compiled earlier in the process (its file unchanged) is taken here: a worker thread is only worth its
        // hand-off when there is something to compile or read.
        if (engine.TryLoadFromMemory(wasmPath, options, out var known, out var knownSha256))
        {
            (module, source) = (Verified(known, knownSha256), ModuleSource.MemoryCache);
        }
        else
        {
            var compile = Task.Run(() =>
            {
                var loaded = engine.LoadModule(wasmPath, options, logger, out var from, out var compiledSha256);
                return (Verified(loaded, compiledSha256), from);
            }, CancellationToken.None);
            (module, source) = await compile.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        return new PluginImage(wasmPath, manifest, limits, engine, module, source, options, discoveredSignatures);

        Module Verified(Module loaded, string compiledSha256)
        {
            // The file was hashed to verify it, then read again to compile it: whoever could write the folder in
            // between would slip in unverified bytes. The engine hashes what it compiles, so compare the two.
            if (verified is not null && !Convert.FromHexString(compiledSha256).AsSpan().SequenceEqual(verified))
            {
                throw new PluginLoadException($"{wasmPath}: the module changed while it was loaded (the bytes compiled are sha256:{compiledSha256.ToLowerInvariant()}, not the verified ones)", wasmPath);
            }
            return loaded;
        }
    }

    /// <summary>
    /// Checks the folder's signature (by the policy), reads the manifest next to <paramref name="wasmPath"/>, resolves the
    /// limits and picks the engine they need; returns the module hash the signature or checksum vouches for, if any.
    /// </summary>
    private static (PluginManifest? Manifest, EffectiveLimits Limits, WasmEngine Engine, byte[]? VerifiedModuleSha256) ReadManifest(string wasmPath,
        PluginRuntimeOptions options, SignaturePolicy? discoveredSignatures, ILogger logger, string? pluginId)
    {
        var directory = WasmRuntime.DirectoryOf(wasmPath);
        var name = pluginId ?? wasmPath;
        // The signature first: a manifest that was tampered with is reported as tampered, not parsed as hostile input.
        var policy = options.Signatures.Mode != SignatureMode.Off ? options.Signatures : discoveredSignatures ?? SignaturePolicy.Off;
        var signed = PluginSignatures.Check(directory, Path.GetFullPath(wasmPath), policy, logger, name);
        var verified = signed?.ModuleSha256;
        // A signed plugin runs with the manifest bytes that were verified (its permissions, limits and exports).
        var manifest = ManifestReader.ReadFolder(directory, signed?.ManifestBytes);
        if (manifest is null)
        {
            logger.LogWarning(options.AllowUndeclaredExports
                ? "Plugin {PluginId} has no {Manifest} next to {Module}: every function the module exports is callable with its wasm signature (AllowUndeclaredExports)"
                : "Plugin {PluginId} has no {Manifest} next to {Module}: it declares no exports, so only ping answers", name, ManifestReader.FileName, wasmPath);
        }
        else if (!manifest.HasBackend)
        {
            throw new PluginLoadException($"{manifest.SourcePath}: plugin '{manifest.Id}' is frontend-only: its manifest has no backend entry point, so there is nothing to run", manifest.SourcePath, field: "$.entry_points.backend");
        }
        else if (pluginId is not null && manifest.Id != pluginId)
        {
            logger.LogWarning("Plugin {PluginId}: the manifest's id is '{ManifestId}'", pluginId, manifest.Id);
        }
        foreach (var warning in manifest?.Warnings ?? [])
        {
            logger.LogWarning("Plugin {PluginId}: {ManifestWarning}", name, warning);
        }
        // A set checksum must hold at every load, not only at discovery: a module swapped afterwards is refused.
        if (ModuleChecksum.Mismatch(manifest, wasmPath) is { } mismatch)
        {
            throw new PluginLoadException($"{wasmPath}: {mismatch}", manifest?.SourcePath, field: "$.checksum");
        }
        if (verified is null && manifest?.Checksum is { } checksum) verified = ModuleChecksum.Digest(checksum);
        var limits = EffectiveLimits.Resolve(options, manifest?.Limits);
        return (manifest, limits, WasmEngine.For(fuel: limits.Fuel is not null), verified);
    }
}
