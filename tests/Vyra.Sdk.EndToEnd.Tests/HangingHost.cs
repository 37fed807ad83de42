using Vyra.Sdk;

namespace Vyra.Sdk.EndToEnd.Tests;

/// <summary>
/// A host whose generated bindings wrap async methods that never finish by themselves: the guest call must still end at
/// its deadline (the generated binding waits with <see cref="HostCall.CancellationToken"/>).
/// </summary>
[VyraHost]
public sealed partial class HangingHost : BaseHostFunctions
{
    private readonly TaskCompletionSource _never = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<int> host_add(int a, int b)
    {
        await _never.Task;
        return a + b;
    }

    public async ValueTask<string> host_lookup(string key)
    {
        await _never.Task;
        return key;
    }
}
