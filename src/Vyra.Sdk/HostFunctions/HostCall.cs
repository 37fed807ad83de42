using System.Text;
using System.Text.Json.Nodes;
using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// One guest call of a host import: typed access to its arguments (memory values decoded with bounds checks)
/// and its results (memory values copied into a fresh <c>vyra_alloc</c> buffer the guest then owns).
/// Only valid during the handler.
/// </summary>
public readonly ref struct HostCall
{
    private readonly GuestContext _guest;
    private readonly Caller _caller;
    private readonly ReadOnlySpan<ValueBox> _arguments;
    private readonly Span<ValueBox> _results;
    private readonly HostImport _import;

    internal HostCall(GuestContext guest, Caller caller, HostImport import, ReadOnlySpan<ValueBox> arguments, Span<ValueBox> results)
    {
        _guest = guest;
        _caller = caller;
        _import = import;
        _arguments = arguments;
        _results = results;
    }

    /// <summary>A call of a typed import (<see cref="TypedHostImport"/>): its arguments and result are the handler's own.</summary>
    internal HostCall(GuestContext guest, Caller caller, HostImport import)
    {
        _guest = guest;
        _caller = caller;
        _import = import;
    }

    /// <summary>The plugin making the call.</summary>
    public string PluginId => _guest.PluginId;

    /// <summary>The import being called.</summary>
    public string ImportName => _import.Name;

    /// <summary>
    /// Fires at the guest call's deadline, when its caller cancels, or when the runtime stops. A host function that
    /// waits (I/O, a bus, a UI) should pass it on: an <see cref="OperationCanceledException"/> it causes ends the guest call
    /// as <see cref="PluginErrorKind.Timeout"/> or <see cref="PluginErrorKind.Cancelled"/>, near the deadline.
    /// </summary>
    public CancellationToken CancellationToken => _guest.HostToken;

    internal int MaxLogMessageBytes => _guest.MaxLogMessageBytes;

    /// <summary>The calling guest, for the backend's own imports.</summary>
    internal GuestContext Guest => _guest;

    /// <summary>Waits for <paramref name="task"/> inside the guest call, giving up when <see cref="CancellationToken"/> fires.</summary>
    public void Wait(ValueTask task)
    {
        if (task.IsCompletedSuccessfully) return;
        task.AsTask().WaitAsync(CancellationToken).GetAwaiter().GetResult();
    }

    /// <summary>Waits for <paramref name="task"/>'s result inside the guest call, giving up when <see cref="CancellationToken"/> fires.</summary>
    public T Wait<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().WaitAsync(CancellationToken).GetAwaiter().GetResult();

    /// <summary>
    /// Argument <paramref name="index"/>, a UTF-8 string in guest memory, cut to at most <paramref name="maxBytes"/> bytes
    /// (at a character boundary) without copying the rest; <paramref name="truncatedBytes"/> says how many were cut.
    /// </summary>
    internal string GetStringPrefix(int index, int maxBytes, out int truncatedBytes)
    {
        var slot = Slot(index);
        int pointer = _arguments[slot].AsInt32(), length = _arguments[slot + 1].AsInt32();
        // The whole range must lie in guest memory even when only a prefix is read.
        var span = GuestMemory.Span(Memory, pointer, length, What(index), int.MaxValue);
        if (span.Length <= maxBytes)
        {
            truncatedBytes = 0;
            return MemoryValues.Utf8(span, What(index));
        }
        var cut = maxBytes;
        while (cut > 0 && (span[cut] & 0xC0) == 0x80) cut--; // not inside a multi-byte character
        truncatedBytes = span.Length - cut;
        return MemoryValues.Utf8(span[..cut], What(index));
    }

    /// <summary>Argument <paramref name="index"/> as i32.</summary>
    public int GetInt32(int index) => _arguments[Slot(index)].AsInt32();

    /// <summary>Argument <paramref name="index"/> as i64.</summary>
    public long GetInt64(int index) => _arguments[Slot(index)].AsInt64();

    /// <summary>Argument <paramref name="index"/> as f32.</summary>
    public float GetSingle(int index) => _arguments[Slot(index)].AsSingle();

    /// <summary>Argument <paramref name="index"/> as f64.</summary>
    public double GetDouble(int index) => _arguments[Slot(index)].AsDouble();

    /// <summary>Argument <paramref name="index"/> as bool (non-zero i32).</summary>
    public bool GetBoolean(int index) => _arguments[Slot(index)].AsInt32() != 0;

    /// <summary>Argument <paramref name="index"/>, a UTF-8 string in guest memory.</summary>
    public string GetString(int index) => (string)ReadMemoryValue(index, PluginValueType.String)!;

    /// <summary>Argument <paramref name="index"/>, bytes in guest memory (copied).</summary>
    public byte[] GetBytes(int index) => (byte[])ReadMemoryValue(index, PluginValueType.Bytes)!;

    /// <summary>Argument <paramref name="index"/>, JSON text in guest memory, parsed.</summary>
    public JsonNode? GetJson(int index) => (JsonNode?)ReadMemoryValue(index, PluginValueType.Json);

    /// <summary>Argument <paramref name="index"/>, JSON text in guest memory, parsed into an immutable element (bounded like every memory value).</summary>
    internal System.Text.Json.JsonElement GetJsonElement(int index)
    {
        var slot = Slot(index);
        var span = GuestMemory.Span(Memory, _arguments[slot].AsInt32(), _arguments[slot + 1].AsInt32(), What(index), _guest.MaxMemoryValueBytes);
        try
        {
            // Straight from guest memory into the element's own buffer (one copy, no document to clone); a reader over
            // a final block refuses anything after the value, as a whole-document parse does.
            var reader = new System.Text.Json.Utf8JsonReader(span);
            var element = System.Text.Json.JsonElement.ParseValue(ref reader);
            if (reader.Read()) throw new System.Text.Json.JsonException($"'{reader.TokenType}' after the JSON value");
            return element;
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new AbiViolationException($"{What(index)}: not valid JSON ({ex.Message})");
        }
    }

    /// <summary>Sets result <paramref name="index"/> (i32).</summary>
    public void ReturnInt32(int value, int index = 0) => _results[index] = value;

    /// <summary>Sets result <paramref name="index"/> (i64).</summary>
    public void ReturnInt64(long value, int index = 0) => _results[index] = value;

    /// <summary>Sets result <paramref name="index"/> (f32).</summary>
    public void ReturnSingle(float value, int index = 0) => _results[index] = value;

    /// <summary>Sets result <paramref name="index"/> (f64).</summary>
    public void ReturnDouble(double value, int index = 0) => _results[index] = value;

    /// <summary>Sets result <paramref name="index"/> (bool as i32 0/1).</summary>
    public void ReturnBoolean(bool value, int index = 0) => _results[index] = value ? 1 : 0;

    /// <summary>Returns a string: copied into a guest buffer from <c>vyra_alloc</c>, passed as (ptr &lt;&lt; 32) | len.</summary>
    public void ReturnString(string value, int index = 0) => _results[index] = WriteString(value);

    /// <summary>Returns JSON text (<c>null</c> for a null node).</summary>
    public void ReturnJson(JsonNode? value, int index = 0) => ReturnString(value?.ToJsonString() ?? "null", index);

    /// <summary>Returns bytes: copied into a guest buffer from <c>vyra_alloc</c>.</summary>
    public void ReturnBytes(ReadOnlySpan<byte> value, int index = 0) => _results[index] = WriteBytes(value);

    // The typed path (TypedHostImport, used by generated bindings): the handler receives the wasm arguments themselves,
    // decodes memory values with the methods below (with the same checks as GetString and the others) and returns the
    // wasm result they produce.

    /// <summary>
    /// Argument <paramref name="argument"/> of a typed import, a UTF-8 string at <paramref name="pointer"/> of
    /// <paramref name="length"/> bytes in guest memory, decoded straight from guest memory (checked against the memory's
    /// size and <see cref="PluginRuntimeOptions.MaxMemoryValueBytes"/>; invalid UTF-8 is an ABI error naming the import).
    /// </summary>
    public string ReadString(int argument, int pointer, int length) =>
        MemoryValues.Utf8(GuestMemory.Span(Memory, pointer, length, What(argument), _guest.MaxMemoryValueBytes), What(argument));

    /// <summary>Argument <paramref name="argument"/> of a typed import, bytes in guest memory (copied; checked like <see cref="ReadString"/>).</summary>
    public byte[] ReadBytes(int argument, int pointer, int length) =>
        GuestMemory.Span(Memory, pointer, length, What(argument), _guest.MaxMemoryValueBytes).ToArray();

    /// <summary>Argument <paramref name="argument"/> of a typed import, JSON text in guest memory, parsed (checked like <see cref="ReadString"/>).</summary>
    public JsonNode? ReadJson(int argument, int pointer, int length) =>
        (JsonNode?)GuestMemory.Read(Memory, pointer, length, PluginValueType.Json, What(argument), _guest.MaxMemoryValueBytes);

    /// <summary>
    /// Encodes <paramref name="value"/> as UTF-8 straight into a fresh guest buffer from <c>vyra_alloc</c> and returns the
    /// wasm result, <c>(ptr &lt;&lt; 32) | len</c>. A lone surrogate becomes U+FFFD, as in <see cref="ReturnString"/>.
    /// </summary>
    public long WriteString(string value) =>
        GuestMemory.WriteText(Memory, Alloc, value, Encoding.UTF8, AbiSite.ImportResult(_import.Name), _guest.MaxMemoryValueBytes);

    /// <summary>Copies <paramref name="value"/> into a fresh guest buffer from <c>vyra_alloc</c> and returns the wasm result, <c>(ptr &lt;&lt; 32) | len</c>.</summary>
    public long WriteBytes(ReadOnlySpan<byte> value) =>
        GuestMemory.Pack(GuestMemory.Write(Memory, Alloc, value, AbiSite.ImportResult(_import.Name), _guest.MaxMemoryValueBytes), value.Length);

    /// <summary>Writes JSON text (<c>null</c> for a null node) like <see cref="WriteString"/>.</summary>
    public long WriteJson(JsonNode? value) => WriteString(value?.ToJsonString() ?? "null");

    /// <summary>Wasm argument <paramref name="slot"/> as <typeparamref name="T"/> (a typed handler run over untyped arguments).</summary>
    internal T WasmArgument<T>(int slot) => WasmValues.From<T>(_arguments[slot]);

    /// <summary>Sets the one wasm result (a typed handler run over untyped arguments).</summary>
    internal void SetWasmResult<T>(T value) => _results[0] = WasmValues.To(value);

    private object? ReadMemoryValue(int index, PluginValueType type)
    {
        var slot = Slot(index);
        return GuestMemory.Read(Memory, _arguments[slot].AsInt32(), _arguments[slot + 1].AsInt32(), type, What(index), _guest.MaxMemoryValueBytes);
    }

    private Memory? Memory => _guest.Memory ?? _caller.GetMemory("memory");

    // The guest's instance resolved memory and vyra_alloc once; only a host call made by the start function, before that, looks them up.
    private Func<int, int>? Alloc => _guest.Alloc ?? _caller.GetFunction("vyra_alloc")?.WrapFunc<int, int>();

    private int Slot(int index) => _import.ParameterSlots[index];

    private AbiSite What(int index) => AbiSite.ImportArgument(_import.Name, index);
}
