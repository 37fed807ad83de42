using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// Bounds-checked access to a guest's linear memory for memory values (string, bytes, json).
/// Every pointer and length from the guest is checked against the memory's current size before use, so a hostile
/// guest can neither make the host read outside its memory nor allocate a host buffer larger than the host's cap
/// (<see cref="PluginRuntimeOptions.MaxMemoryValueBytes"/>): a 1 GB "string" is an ABI error naming the cap, not an
/// <see cref="OutOfMemoryException"/> in the host.
/// Copies are one bulk copy each way.
/// </summary>
internal static class GuestMemory
{
    /// <summary>Splits a returned memory value <c>(ptr &lt;&lt; 32) | len</c>.</summary>
    public static (int Pointer, int Length) Unpack(long packed) => ((int)(packed >> 32), (int)(packed & 0xFFFF_FFFF));

    /// <summary>Packs a memory value for returning to the guest.</summary>
    public static long Pack(int pointer, int length) => ((long)pointer << 32) | (uint)length;

    public static ReadOnlySpan<byte> Span(Memory? memory, int pointer, int length, AbiSite what, int maxBytes)
    {
        if (memory is null) throw new AbiViolationException($"{what}: the module exports no 'memory'");
        if (length < 0) throw new AbiViolationException($"{what}: negative length {length}");
        if (length > maxBytes) throw TooLarge(what, length, maxBytes);
        if (pointer < 0) throw new AbiViolationException($"{what}: negative pointer {pointer}");
        var size = memory.GetLength();
        if ((long)pointer + length > size)
        {
            throw new AbiViolationException($"{what}: pointer {pointer} + length {length} is outside guest memory ({size} bytes)");
        }
        return length == 0 ? ReadOnlySpan<byte>.Empty : memory.GetSpan(pointer, length);
    }

    /// <summary>Reads a memory value (one bulk copy) and decodes it as <paramref name="type"/>.</summary>
    public static object? Read(Memory? memory, int pointer, int length, PluginValueType type, AbiSite what, int maxBytes) =>
        MemoryValues.Decode(Span(memory, pointer, length, what, maxBytes), type, what);

    /// <summary>A value over the host's cap (<see cref="PluginRuntimeOptions.MaxMemoryValueBytes"/>) fails the call before any copy.</summary>
    public static AbiViolationException TooLarge(AbiSite what, long length, int maxBytes) =>
        new($"{what}: {length} bytes is more than the host allows for a string, bytes or json value (PluginRuntimeOptions.MaxMemoryValueBytes = {maxBytes})");

    /// <summary>
    /// Copies <paramref name="data"/> into a fresh guest buffer from <c>vyra_alloc</c> and returns its pointer.
    /// </summary>
    public static int Write(Memory? memory, Func<int, int>? alloc, ReadOnlySpan<byte> data, AbiSite what, int maxBytes)
    {
        if (data.Length > maxBytes) throw TooLarge(what, data.Length, maxBytes);
        if (memory is null) throw new AbiViolationException($"{what}: the module exports no 'memory'");
        if (alloc is null) throw new AbiViolationException($"{what}: the module exports no 'vyra_alloc(len: i32) -> i32'");
        var pointer = alloc(data.Length);
        if (pointer <= 0 && data.Length > 0) throw new AbiViolationException($"{what}: vyra_alloc({data.Length}) failed (returned {pointer})");
        var size = memory.GetLength();
        if (pointer < 0 || (long)pointer + data.Length > size)
        {
            throw new AbiViolationException($"{what}: vyra_alloc({data.Length}) returned {pointer}, outside guest memory ({size} bytes)");
        }
        if (data.Length > 0) data.CopyTo(memory.GetSpan(pointer, data.Length));
        return pointer;
    }
}
