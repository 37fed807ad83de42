using Vyra.Sdk;
using Xunit;

namespace Vyra.Sdk.Tests.Performance;

/// <summary>The work a pool thread may run beside the caller (the disk cache's MAC check beside its copy).</summary>
public class WorkAlongsideTests
{
    [Fact]
    public void The_result_is_the_works_and_it_runs_once()
    {
        var runs = 0;
        var alongside = WorkAlongside<int>.Start(() => Interlocked.Increment(ref runs) * 7);
        Assert.Equal(7, alongside.Result());
        Assert.Equal(7, alongside.Result());
        Assert.Equal(1, Volatile.Read(ref runs));
    }

    [Fact]
    public void The_works_exception_is_rethrown_to_the_caller()
    {
        var alongside = WorkAlongside<bool>.Start(() => throw new InvalidOperationException("planted"));
        Assert.Equal("planted", Assert.Throws<InvalidOperationException>(() => alongside.Result()).Message);
    }

    [Fact]
    public async Task Drop_returns_only_after_work_that_already_started_has_ended()
    {
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var ended = false;
        var alongside = WorkAlongside<bool>.Start(() =>
        {
            started.Set();
            release.Wait();
            Volatile.Write(ref ended, true);
            return true;
        });
        Assert.True(started.Wait(TimeSpan.FromSeconds(15))); // a hang guard: the pool runs it
        var drop = Task.Run(() =>
        {
            alongside.Drop();
            return Volatile.Read(ref ended); // what it may read is no longer read once Drop returns
        });
        release.Set();
        Assert.True(await drop.WaitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public void Dropped_work_runs_at_most_once_and_never_after_drop_returns()
    {
        for (var i = 0; i < 200; i++)
        {
            var runs = 0;
            var alongside = WorkAlongside<bool>.Start(() => Interlocked.Increment(ref runs) > 0);
            alongside.Drop();
            var afterDrop = Volatile.Read(ref runs);
            Assert.InRange(afterDrop, 0, 1);
            // Whether the pool took it first or not, nothing runs it later: asking for it now runs nothing new.
            Thread.Yield();
            Assert.Equal(afterDrop, Volatile.Read(ref runs));
        }
    }
}
