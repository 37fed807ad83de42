using System.Runtime.CompilerServices;

namespace Vyra.Sdk.Tests.Serving;

/// <summary>
/// The test process runs many unrelated tests in parallel, each with its own runtimes, and the default host-wide cap
/// (<see cref="GuestConcurrency.Host"/>, one slot on a 2-core machine) would make them wait for each other's guest
/// code: a test's endless loop would turn another test's call into Overloaded. So the process-wide cap is raised here,
/// once, before any test runs; the cap's own tests (<see cref="GuestConcurrencyTests"/>) each use a private one.
/// </summary>
internal static class UncappedTestProcess
{
    [ModuleInitializer]
    internal static void RaiseTheHostCap() => GuestConcurrency.Host.Limit = int.MaxValue;
}
