using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Vyra.Sdk.Tests.Support;
using Wasmtime.Components;
using Xunit;

namespace Vyra.Sdk.Tests.Components;

/// <summary>
/// The JavaScript guest (Components/JsGuest: shop.js built with componentize-js) compiled once for its test class.
/// The component embeds a JavaScript engine (about 10 MB of wasm), so compiling it is the slow part of a start: the
/// fixture's runtime keeps the compiled component alive, which makes every later start from the same file a hit in
/// the runtime's in-memory cache. Every runtime here is metered (fuel), because a metered and an unmetered engine each
/// compile the component for themselves. The runtimes also share a disk cache folder, so a test elsewhere that empties
/// the in-memory cache costs a deserialization here, not another compile.
/// </summary>
public sealed class JsGuestFixture : IAsyncLifetime
{
    private readonly string _cache = TempFolder.Create("jsguest-cache");
    private readonly byte[] _cacheKey = RandomNumberGenerator.GetBytes(32);
    private int _sequence;

    private static readonly Lazy<string> Unpacked = new(() => UnpackedPlugin(Path.Combine(RepoRoot.Path, "tests", "Vyra.Sdk.Tests", "Components", "JsGuest", "shop", "1.0.0")));

    /// <summary>
    /// The committed component, as a plugin folder: the repository keeps it gzipped (3.9 MB instead of 12 MB), so the
    /// folder is copied once per test process to a temp folder with <c>logic.wasm</c> unpacked beside its manifest.
    /// </summary>
    public static string ComponentPath => Unpacked.Value;

    private static string UnpackedPlugin(string committed)
    {
        var folder = TempFolder.Create("jsguest-shop");
        File.Copy(Path.Combine(committed, "metadata.json"), Path.Combine(folder, "metadata.json"));
        Directory.CreateDirectory(Path.Combine(folder, "wit"));
        foreach (var wit in Directory.EnumerateFiles(Path.Combine(committed, "wit"), "*.wit"))
            File.Copy(wit, Path.Combine(folder, "wit", Path.GetFileName(wit)));
        var module = Path.Combine(folder, "logic.wasm");
        using (var packed = File.OpenRead(Path.Combine(committed, "logic.wasm.gz")))
        using (var gzip = new System.IO.Compression.GZipStream(packed, System.IO.Compression.CompressionMode.Decompress))
        using (var unpacked = File.Create(module))
        {
            gzip.CopyTo(unpacked);
        }
        return module;
    }

    /// <summary>What the guest passed to the host's <c>audit</c> import, in order.</summary>
    public ConcurrentQueue<string> Audited { get; } = new();

    /// <summary>The class's shared runtime, started, with <c>audit</c> defined.</summary>
    public ComponentRuntime Runtime { get; private set; } = null!;

    /// <summary>How long the first start took (read, compile, instantiate), for the test output.</summary>
    public TimeSpan FirstStart { get; private set; }

    /// <summary>Where the first start's compiled component came from.</summary>
    public ModuleSource FirstSource { get; private set; }

    /// <summary>
    /// The fuel of a call unless a test gives another: far more than any finishing call of shop.js needs, but not a
    /// long time: the JavaScript busy loop (<c>spin</c>) burns it in about 0.6 s on a 2-core CI machine (50 M fuel in
    /// ~6 ms, 500 M in ~30 ms: linear, about 16 fuel per ns, since cheap wasm operators cost fuel but little time).
    /// </summary>
    public const ulong AmpleFuel = 10_000_000_000;

    /// <summary>
    /// Fuel that no call can burn (about 35 years of the busy loop), for tests where another limit (a timeout, a
    /// cancellation) must end the call: the runtime stays metered, so it reuses the fixture's compiled component.
    /// </summary>
    public const ulong Inexhaustible = ulong.MaxValue;

    /// <summary>Options for a runtime of this component: metered, the shared disk cache, no stub fallback, and the given limits.</summary>
    public PluginRuntimeOptions Options(TimeSpan? timeout = null, ulong fuel = AmpleFuel) => new()
    {
        Timeout = timeout ?? TimeSpan.FromSeconds(10),
        Fuel = fuel,
        CacheDirectory = _cache,
        CacheKey = _cacheKey,
        StubFallback = StubFallback.Refuse,
    };

    /// <summary>The sizes of the compiled component's entries in the disk cache folder (for the test output).</summary>
    public IEnumerable<long> CacheEntrySizes() => Directory.EnumerateFiles(_cache, "*", SearchOption.AllDirectories).Select(f => new FileInfo(f).Length);

    /// <summary>Defines <c>audit</c> on a runtime: records the entry, answers the next sequence number.</summary>
    public void BindAudit(ComponentRuntime runtime) => runtime.DefineImport("audit", (args, results) =>
    {
        Audited.Enqueue(args[0].AsString());
        results[0] = ComponentValue.U32((uint)Interlocked.Increment(ref _sequence));
    });

    public async Task InitializeAsync()
    {
        // Through the factory, as a host would: the manifest's component block selects the component backend.
        Runtime = Assert.IsType<ComponentRuntime>(PluginRuntime.Create("shop", ComponentPath, options: Options()));
        BindAudit(Runtime);
        var watch = Stopwatch.StartNew();
        await Runtime.StartAsync();
        FirstStart = watch.Elapsed;
        FirstSource = Runtime.ComponentSource;
    }

    public async Task DisposeAsync()
    {
        await Runtime.DisposeAsync();
        TempFolder.Delete(_cache);
    }
}
