using System.Buffers.Binary;
using System.Diagnostics;
using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// The kernel's own <c>wasi_snapshot_preview1.poll_oneoff</c>, defined over Wasmtime's. Wasmtime's sleeps in the host for
/// as long as a clock subscription asks, and the epoch deadline cannot interrupt a host call, so a guest could outlive its
/// call's deadline by sleeping. This one waits on the call's host token (<see cref="CallGuard.HostToken"/>): the wait ends
/// at the call's deadline, when its caller cancels, or when the runtime stops, and the call then ends as Timeout or
/// Cancelled like any host function that gave up.
/// <para>
/// Clock subscriptions (realtime and monotonic, relative or absolute) are timed here. Fd subscriptions are answered as
/// ready at once with <c>nbytes</c> 0: no fd a grant can give waits for readiness (granted files and directories, an
/// empty standard input, the host's standard output and error), so waiting could only be on clocks; the fd's real state,
/// a bad fd included, is reported by the read or write that follows. Other clocks (process and thread CPU time) are refused
/// with <c>EINVAL</c>, as Wasmtime does; subscriptions, events or the count outside guest memory with <c>EFAULT</c>
/// (Wasmtime traps instead: an errno lets the guest's libc report it like any failed call).
/// </para>
/// </summary>
internal static class WasiPoll
{
    public const string Name = "poll_oneoff";

    // WASI preview1 layouts (little-endian): subscription 48 bytes, event 32 bytes.
    private const int SubscriptionSize = 48;
    private const int EventSize = 32;

    // Errno values of wasi_snapshot_preview1.
    private const int Success = 0;
    private const int Fault = 21;
    private const int Invalid = 28;

    private const byte ClockTag = 0;
    private const byte FdReadTag = 1;
    private const byte FdWriteTag = 2;

    private const uint Realtime = 0;
    private const uint Monotonic = 1;
    private const ushort AbsoluteTime = 1;

    /// <summary>Defines the bounded <c>poll_oneoff</c> on a linker that already has Wasmtime's WASI (shadowing it).</summary>
    public static void Define(Linker linker)
    {
        linker.AllowShadowing = true;
        linker.DefineFunction(WasiGrants.ModuleName, Name, (Caller caller, int subscriptions, int events, int count, int countOut) =>
        {
            var instance = (WasmInstance)caller.GetData()!;
            var memory = instance.Memory ?? caller.GetMemory("memory")
                ?? throw new InvalidOperationException($"{WasiGrants.ModuleName}.{Name}: the module exports no 'memory'");
            try
            {
                return Poll(memory, instance.Guard, instance.WasiClockOrigin, (uint)subscriptions, (uint)events, (uint)count, (uint)countOut);
            }
            catch (OperationCanceledException) when (instance.Guard.HostInterruption() is { } interrupted)
            {
                // The wait ended at the call's deadline, its caller's cancellation or a stop: the call ends as such.
                throw interrupted;
            }
        });
        linker.AllowShadowing = false;
    }

    /// <summary>
    /// One poll: reads the subscriptions, waits until the earliest clock (only when every subscription is a clock), and
    /// writes an event for each subscription that is ready. Work is bounded by guest memory; no host buffer grows with
    /// the guest's count.
    /// </summary>
    internal static int Poll(Memory memory, CallGuard guard, long clockOrigin, uint subscriptions, uint events, uint count, uint countOut)
    {
        if (count == 0) return Invalid;
        var size = memory.GetLength();
        if (subscriptions + (long)count * SubscriptionSize > size || events + (long)count * EventSize > size || countOut + 4L > size) return Fault;

        // Times are nanoseconds since this poll began, so relative clocks keep their due time across the sleep.
        var start = Stopwatch.GetTimestamp();

        // First pass: check every subscription and find the earliest clock.
        var anyFd = false;
        var earliest = long.MaxValue;
        for (uint i = 0; i < count; i++)
        {
            var sub = memory.GetSpan(subscriptions + (long)i * SubscriptionSize, SubscriptionSize);
            switch (sub[8])
            {
                case ClockTag:
                    if (DueAt(sub, clockOrigin, start) is not { } due) return Invalid;
                    earliest = Math.Min(earliest, due);
                    break;
                case FdReadTag or FdWriteTag:
                    anyFd = true;
                    break;
                default:
                    return Invalid;
            }
        }

        // Fds are ready at once, so only a poll of clocks alone waits.
        if (!anyFd) Sleep(guard, start, earliest);

        // Second pass: an event for each fd and each clock due by now (after the sleep, at least the earliest).
        var now = Since(start);
        uint written = 0;
        for (uint i = 0; i < count; i++)
        {
            var sub = memory.GetSpan(subscriptions + (long)i * SubscriptionSize, SubscriptionSize);
            var tag = sub[8];
            if (tag == ClockTag && DueAt(sub, clockOrigin, start) > now) continue;
            var userdata = BinaryPrimitives.ReadUInt64LittleEndian(sub);
            var ev = memory.GetSpan(events + (long)written * EventSize, EventSize);
            ev.Clear(); // error 0; fd_readwrite nbytes and flags 0
            BinaryPrimitives.WriteUInt64LittleEndian(ev, userdata);
            ev[10] = tag;
            written++;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(memory.GetSpan(countOut, 4), written);
        return Success;
    }

    private static long Since(long start) => (long)Stopwatch.GetElapsedTime(start).TotalNanoseconds;

    /// <summary>When the subscription's clock is due, in nanoseconds since <paramref name="start"/>; null for a clock it cannot time.</summary>
    private static long? DueAt(ReadOnlySpan<byte> sub, long clockOrigin, long start)
    {
        var id = BinaryPrimitives.ReadUInt32LittleEndian(sub[16..]);
        var timeout = BinaryPrimitives.ReadUInt64LittleEndian(sub[24..]);
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(sub[40..]);
        var wanted = timeout > long.MaxValue ? long.MaxValue : (long)timeout;
        if (id is not (Realtime or Monotonic)) return null;
        if ((flags & AbsoluteTime) == 0) return wanted;
        // The guest's monotonic clock counts from when its WASI context was made; the origin is taken just after that,
        // so a wait here can only be later than asked by those microseconds, never earlier.
        var clockNow = id == Realtime
            ? (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100
            : (long)Stopwatch.GetElapsedTime(clockOrigin).TotalNanoseconds;
        var left = wanted - clockNow; // both non-negative: cannot overflow
        var since = Since(start);
        return left > long.MaxValue - since ? long.MaxValue : left + since;
    }

    /// <summary>Sleeps until <paramref name="due"/> nanoseconds after <paramref name="start"/>, ending early (by throwing) when the call's host token fires.</summary>
    private static void Sleep(CallGuard guard, long start, long due)
    {
        if (due <= Since(start)) return;
        var token = guard.HostToken;
        while (true)
        {
            token.ThrowIfCancellationRequested();
            var left = due - Since(start);
            if (left <= 0) return;
            // WaitOne takes at most int.MaxValue ms; rounded up so the clock is due on waking.
            var ms = (int)Math.Min(Math.Ceiling(left / 1e6), int.MaxValue - 1);
            token.WaitHandle.WaitOne(ms);
        }
    }
}
