using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Vyra.Sdk;
using Wasmtime;

namespace Vyra.Sdk.Benchmarks;

/// <summary>
/// Case 4: loading a ~1 MB plugin from the disk cache (what a second process does: read the module, hash it, read the
/// cache entry, check its MAC, map the verified bytes through a private copy) against compiling it, and against raw
/// <c>Module.DeserializeFile</c> (issue 14's target: at most 2× that). The module is generated at setup
/// (many small functions, WAT → wasm with <c>Module.ConvertText</c>) into a temp plugin folder with a metadata.json.
/// In one process the in-memory cache would answer first, so the kernel's <c>ModuleDiskCache</c> is called directly on
/// the kernel's own engine, as <c>WasmEngine.LoadModule</c> does: the hint the compile wrote lets the entry be read,
/// copied and mapped while the module is hashed. The sequential row is the path without a hint. Target: ≥ 20× faster
/// than compiling.
/// </summary>
[MemoryDiagnoser]
public class ModuleLoadBenchmarks
{
    private const string Name = "logic.wasm";
    private string _folder = null!;
    private string _modulePath = null!;
    private string _serializedPath = null!;
    private Engine _engine = null!;
    private ModuleDiskCache _cache = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "vyra-bench-" + Guid.NewGuid().ToString("N"));
        var plugin = Path.Combine(_folder, "big-plugin", "1.0.0");
        Directory.CreateDirectory(plugin);
        var wasm = Module.ConvertText(BigModule.Wat(functions: 1250));
        _modulePath = Path.Combine(plugin, Name);
        File.WriteAllBytes(_modulePath, wasm);
        File.WriteAllText(Path.Combine(plugin, "metadata.json"), BigModule.Manifest);
        Console.WriteLine($"// big-plugin: {wasm.Length:N0} bytes of wasm");

        _engine = WasmEngine.For(fuel: false).Engine;
        _cache = new ModuleDiskCache(Path.Combine(_folder, "cache"), WasmEngine.For(fuel: false).Fingerprint, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        using var compiled = Module.FromBytes(_engine, Name, wasm);
        _cache.Store(Key(wasm), compiled);
        _cache.WriteHint(_modulePath, FileStamp.Of(_modulePath), Key(wasm)); // as the compile of an earlier process does
        _serializedPath = Path.Combine(_folder, "raw.cwasm");
        File.WriteAllBytes(_serializedPath, compiled.Serialize());
        using var check = DiskCache();
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    // The key WasmEngine.LoadModule uses: sha256 of the module bytes, plus the kind of file.
    private static string Key(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)) + ".wasm";

    [Benchmark(Baseline = true, Description = "compile (read + Module.FromBytes)")]
    public Module Compile()
    {
        var bytes = File.ReadAllBytes(_modulePath);
        var module = Module.FromBytes(_engine, Name, bytes);
        module.Dispose();
        return module;
    }

    [Benchmark(Description = "Vyra disk cache (stamp + read + hash beside the hinted entry)")]
    public Module DiskCacheLoad()
    {
        using var module = DiskCache();
        return module;
    }

    [Benchmark(Description = "Vyra disk cache, sequential (read + sha256 + TryLoad)")]
    public Module DiskCacheSequential()
    {
        var bytes = File.ReadAllBytes(_modulePath);
        using var module = _cache.TryLoad(_engine, Key(bytes), Name) ?? throw new InvalidOperationException("disk cache miss");
        return module;
    }

    [Benchmark(Description = "raw Module.DeserializeFile (reference)")]
    public Module RawDeserializeFile()
    {
        var module = Module.DeserializeFile(_engine, Name, _serializedPath);
        module.Dispose();
        return module;
    }

    // What WasmEngine.LoadModule does on a memory miss with a disk cache: the module's stamp, its bytes (pooled), then the hash
    // on one thread while this one reads, copies and maps the entry the hint names (used only if the hash is its key).
    private Module DiskCache()
    {
        var stamp = FileStamp.Of(_modulePath);
        var (buffer, length) = WasmEngine.ReadModule(_modulePath, long.MaxValue);
        try
        {
            return _cache.LoadBesideHash(_engine, _modulePath, stamp, buffer.AsMemory(0, length), text: false).Module ?? throw new InvalidOperationException("disk cache miss through the hint");
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>A large module made of many small, distinct functions (each exported, so none is dead code).</summary>
internal static class BigModule
{
    public const string Manifest = """
        {
          "id": "big-plugin",
          "version": "1.0.0",
          "name": "Big Plugin",
          "description": "Benchmark module of about 1 MB, generated at setup.",
          "exports": [{ "name": "f0", "args": [{ "name": "x", "type": "i32" }], "returns": "i32" }]
        }
        """;

    public static string Wat(int functions)
    {
        var wat = new StringBuilder("(module\n  (memory (export \"memory\") 1)\n");
        for (var i = 0; i < functions; i++)
        {
            wat.Append($"  (func (export \"f{i}\") (param $x i32) (result i32) (local $a i32) (local $b i32)\n");
            wat.Append($"    (local.set $a (i32.add (local.get $x) (i32.const {i})))\n");
            for (var k = 0; k < 24; k++)
            {
                wat.Append($"    (local.set $b (i32.xor (i32.mul (local.get $a) (i32.const {i * 31 + k + 3})) (i32.shr_u (local.get $a) (i32.const {k % 29 + 1}))))\n");
                wat.Append($"    (i32.store (i32.const {k * 4 % 65532}) (local.get $b))\n");
                wat.Append($"    (local.set $a (i32.add (local.get $b) (i32.load (i32.const {(k * 8 + 4) % 65532}))))\n");
            }
            wat.Append("    (local.get $a))\n");
        }
        return wat.Append(")\n").ToString();
    }
}

/// <summary>
/// Case 5: a new runtime from a module compiled earlier in the process — <c>new WasmRuntime</c> + <c>StartAsync</c>
/// (manifest read, module file hashed and found in the memory cache, contract check, store, linker, instantiate,
/// <c>init</c> by VYRA's rule) + dispose — against raw <c>new Store</c> + <c>linker.Instantiate</c> + dispose. Target ≤ 3×
/// (issue 14). The <see cref="PluginImage"/> row starts from a plugin loaded once: no file is read or checked per start.
/// </summary>
[MemoryDiagnoser]
public class RuntimeStartBenchmarks
{
    private RawWasm _raw = null!;
    private Module _module = null!;
    private Linker _linker = null!;
    private Engine _pooledEngine = null!;
    private Module _pooledModule = null!;
    private Linker _pooledLinker = null!;
    private PluginImage _image = null!;

    [GlobalSetup]
    public void Setup()
    {
        _raw = new RawWasm();
        _module = RawWasm.Load(_raw.Engine, BenchPlugins.CounterWidget);
        _linker = new Linker(_raw.Engine);
        // Issue 6 asks to consider Wasmtime's pooling allocator for instantiation speed: the same raw start on an engine
        // that preallocates instance, memory and table slots (64 of each, 64 MiB memories).
        using var pooling = new PoolingAllocationConfig().WithMaxCoreInstances(64).WithMaxMemories(64).WithMaxTables(64)
            .WithMaxMemorySize((nuint)(64 * 1024 * 1024));
        using var config = new Config().WithEpochInterruption(true).WithPoolingAllocationStrategy(pooling);
        _pooledEngine = new Engine(config);
        _pooledModule = RawWasm.Load(_pooledEngine, BenchPlugins.CounterWidget);
        _pooledLinker = new Linker(_pooledEngine);
        VyraStart(); // compiles into the kernel's in-memory cache
        _image = PluginImage.LoadAsync(BenchPlugins.CounterWidget).GetAwaiter().GetResult();
        VyraImageStart(); // builds the start preparation once, as a warm process has
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pooledLinker.Dispose();
        _pooledModule.Dispose();
        _pooledEngine.Dispose();
        _linker.Dispose();
        _module.Dispose();
        _raw.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw new Store + Instantiate")]
    public Instance RawStart()
    {
        using var store = _raw.NewStore();
        return _linker.Instantiate(store, _module);
    }

    [Benchmark(Description = "raw, pooling allocator: new Store + Instantiate")]
    public Instance RawStartPooled()
    {
        using var store = new Store(_pooledEngine);
        store.SetEpochDeadline(ulong.MaxValue / 2);
        return _pooledLinker.Instantiate(store, _pooledModule);
    }

    [Benchmark(Description = "raw new Store + Instantiate + init(0)")]
    public int RawStartWithInit()
    {
        using var store = _raw.NewStore();
        return _linker.Instantiate(store, _module).GetFunction<int, int>("init")!(0);
    }

    [Benchmark(Description = "Vyra new WasmRuntime + StartAsync + Dispose")]
    public bool VyraStart()
    {
        var runtime = new WasmRuntime("counter-widget", BenchPlugins.CounterWidget);
        runtime.StartAsync().AsTask().GetAwaiter().GetResult();
        var running = runtime.IsRunning;
        runtime.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return running;
    }

    [Benchmark(Description = "Vyra PluginImage: CreateRuntime + StartAsync + Dispose")]
    public bool VyraImageStart()
    {
        var runtime = _image.CreateRuntime("counter-widget");
        runtime.StartAsync().AsTask().GetAwaiter().GetResult();
        var running = runtime.IsRunning;
        runtime.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return running;
    }
}
