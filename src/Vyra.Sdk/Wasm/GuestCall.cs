using System.Text;
using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// One typed call in progress (see <see cref="TypedExport{TDelegate}"/>): holds its instance's lease until disposed,
/// offers the memory ABI for string, bytes and json values, and maps failures to <see cref="PluginCallException"/>.
/// </summary>
public readonly struct GuestCall<TDelegate> : IDisposable
    where TDelegate : Delegate
{
    private readonly WasmRuntime _runtime;
    private readonly InstanceSlots _slots;
    private readonly WasmInstance _instance;
    private readonly string _name;

    internal GuestCall(WasmRuntime runtime, InstanceSlots slots, WasmInstance instance, TDelegate function, string name)
    {
        _runtime = runtime;
        _slots = slots;
        _instance = instance;
        _name = name;
        Function = function;
    }

    /// <summary>The bound wasm function.</summary>
    public TDelegate Function { get; }

    /// <summary>Copies a string, bytes or json argument into the guest; it is freed when the call ends.</summary>
    public (int Pointer, int Length) Write(object? value, PluginValueType type)
    {
        if (type == PluginValueType.String && value is string text) return WriteText(text);
        byte[] bytes;
        try
        {
            bytes = MemoryValues.Encode(value, type);
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or ArgumentException)
        {
            throw new PluginCallException(_runtime.PluginId, _name, ex.Message, PluginErrorKind.InvalidArgument, ex);
        }
        return _instance.WriteArgument(bytes, AbiSite.Argument(_name));
    }

    /// <summary>A string argument, encoded straight into guest memory (no UTF-8 array on the host in between).</summary>
    private (int Pointer, int Length) WriteText(string text)
    {
        try
        {
            return _instance.WriteTextArgument(text, AbiSite.Argument(_name));
        }
        catch (EncoderFallbackException ex)
        {
            var invalid = MemoryValues.NotUnicode(ex);
            throw new PluginCallException(_runtime.PluginId, _name, invalid.Message, PluginErrorKind.InvalidArgument, invalid);
        }
    }

    /// <summary>Reads a returned memory value <c>(ptr &lt;&lt; 32) | len</c> as <paramref name="type"/> and frees the guest's buffer.</summary>
    public object? Read(long packed, PluginValueType type) => _instance.ReadResult(packed, type, AbiSite.Result(_name));

    /// <summary>The exception to throw for a failure during the call (applies the after-trap policy).</summary>
    public PluginCallException Fail(Exception exception)
    {
        var failure = _runtime.Fail(_slots, _name, exception, _instance);
        _instance.ObserveFailure(failure.Kind);
        return failure;
    }

    /// <summary>Frees the call's guest buffers, disarms the limits and returns the lease (on the thread that entered the call).</summary>
    public void Dispose()
    {
        try
        {
            _instance.Frame.Exit();
            _instance.EndCall();
            _instance.EndObservedCall(_name);
        }
        finally
        {
            _slots.Release(_instance);
        }
    }
}
