using System.Net;
using System.Text.Json;
using Xunit;

namespace Vyra.Sdk.Hosting.Tests;

/// <summary>
/// Tests that install a process-wide listener (an ActivityListener sees every test's calls, so a parallel test running
/// the same export would be counted too). They run one at a time, after the parallel tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "Process-wide listeners";
}

/// <summary>The web sample's shutdown, observed through the kernel's call traces.</summary>
[Collection(ProcessWideCollection.Name)]
public sealed class WebSampleShutdownTests
{
    [Fact]
    public async Task Stopping_the_host_interrupts_running_and_queued_calls_instead_of_waiting_for_their_timeouts()
    {
        using var pool = new TempPool().AddLoudSpinner("slow", timeoutMs: 15000);
        var web = await RunningSample.StartAsync($"--Vyra:Plugins:Pools:1={pool.Root}", "--Vyra:Plugins:ById:slow:TimeoutMs=15000");
        // The kernel traces every call as it enters CallAsync: the second trace means the queued call reached the plugin.
        var entered = 0;
        var bothEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == "Vyra.Sdk",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
            ActivityStarted = activity =>
            {
                if (activity.OperationName == "vyra.plugin.call spin_until_stopped" && Interlocked.Increment(ref entered) == 2) bothEntered.TrySetResult();
            },
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        try
        {
            var spinning = web.Logs.WaitForAsync(e => e.Message == "spinning");
            var running = web.PostAsync("/plugins/slow/spin_until_stopped", RunningSample.Json(""));
            await spinning.WaitAsync(TimeSpan.FromSeconds(10));
            var queued = web.PostAsync("/plugins/slow/spin_until_stopped", RunningSample.Json("")); // one instance: waits behind the first
            await bothEntered.Task.WaitAsync(TimeSpan.FromSeconds(10));

            await web.App.StopAsync();
            foreach (var call in new[] { running, queued })
            {
                var (status, body, response) = await call.WaitAsync(TimeSpan.FromSeconds(10));
                Assert.True(body.ValueKind == JsonValueKind.Object, $"{status}");
                Assert.NotEqual("Timeout", body.GetProperty("kind").GetString()); // interrupted, not run out
                Assert.True(response.Headers.Contains("Retry-After"));
                Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            }
        }
        finally
        {
            await web.DisposeAsync();
        }
    }
}
