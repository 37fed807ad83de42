// Vyra.Sdk benchmark suite (issue 6). From the repository root:
//   dotnet run -c Release --project benchmarks/Vyra.Sdk.Benchmarks -- --short        short job (a few minutes)
//   dotnet run -c Release --project benchmarks/Vyra.Sdk.Benchmarks                   full BenchmarkDotNet default job
//   dotnet run -c Release --project benchmarks/Vyra.Sdk.Benchmarks -- --idle-memory  only the memory per idle runtime
//   dotnet run -c Release --project benchmarks/Vyra.Sdk.Benchmarks -- --scale        1 … 1,000 idle runtimes: memory, start time
//   dotnet run -c Release --project benchmarks/Vyra.Sdk.Benchmarks -- --pool-memory  an elastic pool's memory: minimum, grown, reclaimed
// Other arguments go to BenchmarkDotNet (e.g. --filter *Pool*). Without --filter every case runs, then the idle-memory
// table is printed first. Results: BenchmarkDotNet.Artifacts/results; summary and ratios in docs/benchmarks.md.
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using Vyra.Sdk.Benchmarks;

const int IdleRuntimes = 200;
var arguments = args.ToList();
var shortMode = arguments.Remove("--short");
if (arguments.Remove("--idle-memory"))
{
    IdleMemory.Run(IdleRuntimes);
    return 0;
}
if (arguments.Remove("--pool-memory"))
{
    PoolMemory.Run(min: 1, max: 8);
    return 0;
}
if (arguments.Remove("--scale"))
{
    ScaleSweep.Run(TimeSpan.FromMinutes(5));
    return 0;
}

var job = (shortMode ? Job.ShortRun : Job.Default).WithId(shortMode ? "Short" : "Full");
var config = DefaultConfig.Instance
    .AddJob(job)
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddColumn(StatisticColumn.Median)
    .WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared))
    .WithBuildTimeout(TimeSpan.FromMinutes(10)) // a busy 2-core machine needs more than the default 2 minutes
    .WithOptions(ConfigOptions.DisableLogFile);

var everything = !arguments.Any(a => a.StartsWith("--filter", StringComparison.Ordinal) || a == "-f");
if (everything)
{
    arguments.AddRange(["--filter", "*"]);
    IdleMemory.Run(IdleRuntimes); // first, while the process is still quiet
}
var summaries = BenchmarkSwitcher.FromAssembly(typeof(TypedCallBenchmarks).Assembly).Run([.. arguments], config);
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
