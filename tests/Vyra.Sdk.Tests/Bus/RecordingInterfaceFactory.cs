using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Vyra.Sdk;

namespace Vyra.Sdk.Tests.Bus;

/// <summary>
/// The edge of what the facade owns: a transport that only records. Every step (handle created, event published,
/// request sent, handle disposed, UI notified) is appended to <see cref="Journal"/> in order, so a test sees whether,
/// when and how often the facade reached the transport, and whether it closed what it opened.
/// </summary>
internal sealed class RecordingInterfaceFactory : IInterfaceFactory, IHostFunctions
{
    public ConcurrentQueue<string> Journal { get; } = new();

    public ConcurrentQueue<RecordedHandle> Handles { get; } = new();

    /// <summary>When set, creating a handle fails with this exception (the transport is down).</summary>
    public Exception? FailCreation { get; set; }

    /// <summary>When set, creating a handle waits for this task first (a slow transport; the wait honours the creation's token, as real transports do).</summary>
    public Task? HoldCreation { get; set; }

    public IInterfaceFactory Interfaces => this;

    public ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default)
    {
        Journal.Enqueue($"notify_ui {eventName}");
        return ValueTask.CompletedTask;
    }

    public ValueTask LogAsync(LogLevel level, string message, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public async ValueTask<IBusPublisher> CreatePublisherAsync(InterfaceAddress address, CancellationToken cancellationToken = default) =>
        await Create("publisher", address, cancellationToken);

    public async ValueTask<IBusSubscription> CreateSubscriberAsync(InterfaceAddress address, Func<PluginEvent, CancellationToken, ValueTask> onEvent, CancellationToken cancellationToken = default) =>
        await Create("subscriber", address, cancellationToken);

    public async ValueTask<IServiceServer> CreateServerAsync(InterfaceAddress address, Func<ServiceRequest, CancellationToken, ValueTask<ServiceResponse>> handler, CancellationToken cancellationToken = default) =>
        await Create("server", address, cancellationToken);

    public async ValueTask<IServiceClient> CreateClientAsync(InterfaceAddress address, CancellationToken cancellationToken = default) =>
        await Create("client", address, cancellationToken);

    /// <summary>The transport calls in order, without the disposals and notifications.</summary>
    public string[] Creations => [.. Journal.Where(j => j.StartsWith("create ", StringComparison.Ordinal))];

    private async Task<RecordedHandle> Create(string kind, InterfaceAddress address, CancellationToken cancellationToken)
    {
        if (HoldCreation is { } hold) await hold.WaitAsync(cancellationToken);
        if (FailCreation is { } failure) throw failure;
        var handle = new RecordedHandle(this, kind, address);
        Handles.Enqueue(handle);
        Journal.Enqueue($"create {kind} {address}");
        return handle;
    }

    internal sealed class RecordedHandle(RecordingInterfaceFactory owner, string kind, InterfaceAddress address)
        : IBusPublisher, IBusSubscription, IServiceServer, IServiceClient
    {
        private int _disposals;

        public string Kind => kind;

        public InterfaceAddress Address => address;

        public int Disposals => Volatile.Read(ref _disposals);

        public ValueTask PublishAsync(PluginEvent message, CancellationToken cancellationToken = default)
        {
            owner.Journal.Enqueue($"publish {address} {message.PluginId} {message.EventName} {message.Data.GetRawText()}");
            return ValueTask.CompletedTask;
        }

        public ValueTask<ServiceResponse> RequestAsync(ServiceRequest request, TimeSpan timeout, CancellationToken cancellationToken = default)
        {
            owner.Journal.Enqueue($"request {address} {request.PluginId} {request.FunctionName}");
            return new(new ServiceResponse("server", true, JsonSerializer.SerializeToElement(new { ok = true })));
        }

        public ValueTask DisposeAsync()
        {
            Interlocked.Increment(ref _disposals);
            owner.Journal.Enqueue($"dispose {kind} {address}");
            return ValueTask.CompletedTask;
        }
    }
}
