using BenchmarkDotNet.Attributes;
using Vyra.Sdk;
using Vyra.Sdk.Benchmarks.Plugins;

namespace Vyra.Sdk.Benchmarks;

/// <summary>
/// Case 6: throughput of a stateless CPU-bound export (spin's <c>work(100_000)</c>, typed proxy) on a pool of two
/// instances called from two threads, against one instance called from one thread. Each invocation makes the same
/// number of calls, so Mean is per call and the throughput gain is 1 / Ratio. Target ≥ 1.8× (Ratio ≤ 0.556), for the
/// fixed pool and for an elastic one (1 … 2 instances) that has to grow to two under the load (issue 14).
/// Memory back to the minimum after idling: <c>--pool-memory</c> (<see cref="PoolMemory"/>).
/// </summary>
[MemoryDiagnoser]
public class PoolBenchmarks
{
    private const int Iterations = 100_000;
    private const int CallsPerThread = 16;
    private const int Calls = 2 * CallsPerThread;
    private SpinPlugin _single = null!;
    private SpinPlugin _pool = null!;
    private SpinPlugin _elastic = null!;

    [GlobalSetup]
    public void Setup()
    {
        _single = BenchPlugins.Started(SpinPlugin.Create(BenchPlugins.Spin), p => p.StartAsync());
        _pool = BenchPlugins.Started(SpinPlugin.Create(BenchPlugins.Spin, options: new PluginRuntimeOptions { Instances = 2 }), p => p.StartAsync());
        _elastic = BenchPlugins.Started(SpinPlugin.Create(BenchPlugins.Spin, options: new PluginRuntimeOptions { MinInstances = 1, MaxInstances = 2 }), p => p.StartAsync());
        if (_single.Work(Iterations) != _pool.Work(Iterations) || _single.Work(Iterations) != _elastic.Work(Iterations)) throw new InvalidOperationException("instances disagree");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _single.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _pool.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _elastic.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls, Description = "1 instance, 1 thread")]
    public int OneInstanceOneThread() => Run(_single, Calls);

    [Benchmark(OperationsPerInvoke = Calls, Description = "pool of 2, 2 threads")]
    public int PoolOfTwoOnTwoThreads()
    {
        var second = Task.Run(() => Run(_pool, CallsPerThread));
        var first = Run(_pool, CallsPerThread);
        return first ^ second.GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = Calls, Description = "elastic pool 1…2, 2 threads")]
    public int ElasticPoolOnTwoThreads()
    {
        var second = Task.Run(() => Run(_elastic, CallsPerThread));
        var first = Run(_elastic, CallsPerThread);
        return first ^ second.GetAwaiter().GetResult();
    }

    private static int Run(SpinPlugin plugin, int calls)
    {
        var x = 0;
        for (var i = 0; i < calls; i++) x ^= plugin.Work(Iterations);
        return x;
    }
}
