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
        if (length == 0)
        {
            if (pointer > memory.GetLength()) throw Outside(memory, what, pointer, length);
            return ReadOnlySpan<byte>.Empty;
        }
        return TryGetSpan(memory, pointer, length, out var bytes) ? bytes : throw Outside(memory, what, pointer, length);
    }

    /// <summary>
    /// The guest's bytes at <paramref name="pointer"/>, or false when the range is not inside the memory. Wasmtime's
    /// <c>GetSpan</c> checks the range against the memory's current size itself (and throws when it is outside):
    /// asking for the size first would cost a second trip into the native library on every value.
    /// </summary>
    private static bool TryGetSpan(Memory memory, int pointer, int length, out Span<byte> span)
    {
        try
        {
            span = memory.GetSpan(pointer, length);
            return true;
        }
        catch (ArgumentException)
        {
            span = default;
            return false;
        }
    }

    private static AbiViolationException Outside(Memory memory, AbiSite what, int pointer, int length) =>
        new($"{what}: pointer {pointer} + length {length} is outside guest memory ({memory.GetLength()} bytes)");

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
        var pointer = Allocate(memory, alloc, data.Length, what, maxBytes, out var target);
        data.CopyTo(target);
        return pointer;
    }

    /// <summary>
    /// Encodes <paramref name="text"/> as UTF-8 straight into a fresh guest buffer from <c>vyra_alloc</c> (no byte array
    /// in between) and returns the value packed as <c>(ptr &lt;&lt; 32) | len</c>. The length is counted first, so the
    /// host's cap refuses a huge answer before the guest allocates anything. <paramref name="encoding"/> decides what
    /// happens to text that is not valid Unicode (a lone surrogate): replaced, or refused with its exception.
    /// </summary>
    public static long WriteText(Memory? memory, Func<int, int>? alloc, string text, System.Text.Encoding encoding, AbiSite what, int maxBytes)
    {
        var length = encoding.GetByteCount(text);
        var pointer = Allocate(memory, alloc, length, what, maxBytes, out var target);
        if (length > 0) encoding.GetBytes(text, target);
        return Pack(pointer, length);
    }

    /// <summary>
    /// A fresh guest buffer of <paramref name="length"/> bytes from <c>vyra_alloc</c>, checked to lie inside guest memory;
    /// <paramref name="target"/> is its bytes, taken after <c>vyra_alloc</c> ran (it may have grown, and so moved, the memory).
    /// </summary>
    private static int Allocate(Memory? memory, Func<int, int>? alloc, int length, AbiSite what, int maxBytes, out Span<byte> target)
    {
        if (length > maxBytes) throw TooLarge(what, length, maxBytes);
        if (memory is null) throw new AbiViolationException($"{what}: the module exports no 'memory'");
        if (alloc is null) throw new AbiViolationException($"{what}: the module exports no 'vyra_alloc(len: i32) -> i32'");
        var pointer = alloc(length);
        if (pointer <= 0 && length > 0) throw new AbiViolationException($"{what}: vyra_alloc({length}) failed (returned {pointer})");
        if (pointer >= 0 && (length > 0 ? TryGetSpan(memory, pointer, length, out target) : Empty(memory, pointer, out target))) return pointer;
        throw new AbiViolationException($"{what}: vyra_alloc({length}) returned {pointer}, outside guest memory ({memory.GetLength()} bytes)");
    }

    private static bool Empty(Memory memory, int pointer, out Span<byte> target)
    {
        target = default;
        return pointer <= memory.GetLength();
    }
}
