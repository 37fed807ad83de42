using Xunit;

namespace Vyra.Sdk.Tests.Support;

/// <summary>
/// Tests that read process-wide state: telemetry listeners (a MeterListener or ActivityListener sees every test's
/// calls, not just its own) and allocation counts (a zero-allocation assertion must not share the runtime with other
/// tests' JIT and thread-pool work). They run one at a time, after the parallel tests, never beside each other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "Process-wide listeners and allocation counts";
}
