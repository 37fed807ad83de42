using System.Threading.Channels;

namespace Vyra.Sdk.Redis;

/// <summary>
/// A bounded hand-off from StackExchange.Redis's message thread to one worker task: <see cref="Post"/> never blocks
/// and never runs user code (a full inbox refuses the message, and the caller counts it), so a slow or hanging handler
/// holds up only its own inbox, never the connection. Messages are handled one after the other, in arrival order.
/// </summary>
internal sealed class Inbox<T>
{
    private readonly Channel<T> _channel;
    private readonly Func<T, CancellationToken, Task> _handle;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;

    public Inbox(int capacity, Func<T, CancellationToken, Task> handle)
    {
        _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _handle = handle;
        _worker = Task.Run(RunAsync);
    }

    /// <summary>Queues <paramref name="item"/>; false when the inbox is full or stopped.</summary>
    public bool Post(T item) => _channel.Writer.TryWrite(item);

    private async Task RunAsync()
    {
        var reader = _channel.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                while (!_stop.IsCancellationRequested && reader.TryRead(out var item))
                {
                    // The handler catches its own failures; one that escapes still must not end the worker.
                    try
                    {
                        await _handle(item, _stop.Token).ConfigureAwait(false);
                    }
                    catch (Exception)
                    {
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops: nothing queued is handled any more; a running handler is cancelled and awaited up to <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        _channel.Writer.TryComplete();
        _stop.Cancel();
        await Task.WhenAny(_worker, Task.Delay(grace)).ConfigureAwait(false);
    }
}
