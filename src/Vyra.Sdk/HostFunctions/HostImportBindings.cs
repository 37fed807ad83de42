using Wasmtime;

namespace Vyra.Sdk;

// One binding class per typed handler shape (see HostImportBinding). Each defines a typed Wasmtime host function whose
// callback finds the calling instance in the store's data and runs that instance's handler for the import: the linker
// is shared by every instance with the same import signatures, so the callback holds no handler of its own.

internal sealed class FuncBinding<TResult>(HostImportFunc<TResult> handler) : HostImportBinding([], [WasmValues.Kind<TResult>()])
    where TResult : struct
{
    private readonly HostImportFunc<TResult> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerFunc<TResult> callback = (caller) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                return ((FuncBinding<TResult>)import.Binding!)._handler(new HostCall(guest, caller, import));
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => call.SetWasmResult(_handler(call));
}

internal sealed class FuncBinding<T1, TResult>(HostImportFunc<T1, TResult> handler) : HostImportBinding([WasmValues.Kind<T1>()], [WasmValues.Kind<TResult>()])
    where T1 : struct
    where TResult : struct
{
    private readonly HostImportFunc<T1, TResult> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerFunc<T1, TResult> callback = (caller, arg1) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                return ((FuncBinding<T1, TResult>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => call.SetWasmResult(_handler(call, call.WasmArgument<T1>(0)));
}

internal sealed class FuncBinding<T1, T2, TResult>(HostImportFunc<T1, T2, TResult> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>()], [WasmValues.Kind<TResult>()])
    where T1 : struct
    where T2 : struct
    where TResult : struct
{
    private readonly HostImportFunc<T1, T2, TResult> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerFunc<T1, T2, TResult> callback = (caller, arg1, arg2) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                return ((FuncBinding<T1, T2, TResult>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => call.SetWasmResult(_handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1)));
}

internal sealed class FuncBinding<T1, T2, T3, TResult>(HostImportFunc<T1, T2, T3, TResult> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>()], [WasmValues.Kind<TResult>()])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where TResult : struct
{
    private readonly HostImportFunc<T1, T2, T3, TResult> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerFunc<T1, T2, T3, TResult> callback = (caller, arg1, arg2, arg3) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                return ((FuncBinding<T1, T2, T3, TResult>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => call.SetWasmResult(_handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2)));
}

internal sealed class FuncBinding<T1, T2, T3, T4, TResult>(HostImportFunc<T1, T2, T3, T4, TResult> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>()], [WasmValues.Kind<TResult>()])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
    where TResult : struct
{
    private readonly HostImportFunc<T1, T2, T3, T4, TResult> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerFunc<T1, T2, T3, T4, TResult> callback = (caller, arg1, arg2, arg3, arg4) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                return ((FuncBinding<T1, T2, T3, T4, TResult>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => call.SetWasmResult(_handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3)));
}

internal sealed class FuncBinding<T1, T2, T3, T4, T5, TResult>(HostImportFunc<T1, T2, T3, T4, T5, TResult> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>(), WasmValues.Kind<T5>()], [WasmValues.Kind<TResult>()])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
    where T5 : struct
    where TResult : struct
{
    private readonly HostImportFunc<T1, T2, T3, T4, T5, TResult> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerFunc<T1, T2, T3, T4, T5, TResult> callback = (caller, arg1, arg2, arg3, arg4, arg5) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                return ((FuncBinding<T1, T2, T3, T4, T5, TResult>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4, arg5);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => call.SetWasmResult(_handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3), call.WasmArgument<T5>(4)));
}

internal sealed class FuncBinding<T1, T2, T3, T4, T5, T6, TResult>(HostImportFunc<T1, T2, T3, T4, T5, T6, TResult> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>(), WasmValues.Kind<T5>(), WasmValues.Kind<T6>()], [WasmValues.Kind<TResult>()])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
    where T5 : struct
    where T6 : struct
    where TResult : struct
{
    private readonly HostImportFunc<T1, T2, T3, T4, T5, T6, TResult> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerFunc<T1, T2, T3, T4, T5, T6, TResult> callback = (caller, arg1, arg2, arg3, arg4, arg5, arg6) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                return ((FuncBinding<T1, T2, T3, T4, T5, T6, TResult>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4, arg5, arg6);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => call.SetWasmResult(_handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3), call.WasmArgument<T5>(4), call.WasmArgument<T6>(5)));
}

internal sealed class FuncBinding<T1, T2, T3, T4, T5, T6, T7, TResult>(HostImportFunc<T1, T2, T3, T4, T5, T6, T7, TResult> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>(), WasmValues.Kind<T5>(), WasmValues.Kind<T6>(), WasmValues.Kind<T7>()], [WasmValues.Kind<TResult>()])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
    where T5 : struct
    where T6 : struct
    where T7 : struct
    where TResult : struct
{
    private readonly HostImportFunc<T1, T2, T3, T4, T5, T6, T7, TResult> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerFunc<T1, T2, T3, T4, T5, T6, T7, TResult> callback = (caller, arg1, arg2, arg3, arg4, arg5, arg6, arg7) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                return ((FuncBinding<T1, T2, T3, T4, T5, T6, T7, TResult>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4, arg5, arg6, arg7);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => call.SetWasmResult(_handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3), call.WasmArgument<T5>(4), call.WasmArgument<T6>(5), call.WasmArgument<T7>(6)));
}

internal sealed class FuncBinding<T1, T2, T3, T4, T5, T6, T7, T8, TResult>(HostImportFunc<T1, T2, T3, T4, T5, T6, T7, T8, TResult> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>(), WasmValues.Kind<T5>(), WasmValues.Kind<T6>(), WasmValues.Kind<T7>(), WasmValues.Kind<T8>()], [WasmValues.Kind<TResult>()])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
    where T5 : struct
    where T6 : struct
    where T7 : struct
    where T8 : struct
    where TResult : struct
{
    private readonly HostImportFunc<T1, T2, T3, T4, T5, T6, T7, T8, TResult> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerFunc<T1, T2, T3, T4, T5, T6, T7, T8, TResult> callback = (caller, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                return ((FuncBinding<T1, T2, T3, T4, T5, T6, T7, T8, TResult>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => call.SetWasmResult(_handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3), call.WasmArgument<T5>(4), call.WasmArgument<T6>(5), call.WasmArgument<T7>(6), call.WasmArgument<T8>(7)));
}

internal sealed class FuncBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult>(HostImportFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>(), WasmValues.Kind<T5>(), WasmValues.Kind<T6>(), WasmValues.Kind<T7>(), WasmValues.Kind<T8>(), WasmValues.Kind<T9>()], [WasmValues.Kind<TResult>()])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
    where T5 : struct
    where T6 : struct
    where T7 : struct
    where T8 : struct
    where T9 : struct
    where TResult : struct
{
    private readonly HostImportFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult> callback = (caller, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                return ((FuncBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => call.SetWasmResult(_handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3), call.WasmArgument<T5>(4), call.WasmArgument<T6>(5), call.WasmArgument<T7>(6), call.WasmArgument<T8>(7), call.WasmArgument<T9>(8)));
}

internal sealed class FuncBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult>(HostImportFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>(), WasmValues.Kind<T5>(), WasmValues.Kind<T6>(), WasmValues.Kind<T7>(), WasmValues.Kind<T8>(), WasmValues.Kind<T9>(), WasmValues.Kind<T10>()], [WasmValues.Kind<TResult>()])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
    where T5 : struct
    where T6 : struct
    where T7 : struct
    where T8 : struct
    where T9 : struct
    where T10 : struct
    where TResult : struct
{
    private readonly HostImportFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult> callback = (caller, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9, arg10) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                return ((FuncBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9, arg10);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => call.SetWasmResult(_handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3), call.WasmArgument<T5>(4), call.WasmArgument<T6>(5), call.WasmArgument<T7>(6), call.WasmArgument<T8>(7), call.WasmArgument<T9>(8), call.WasmArgument<T10>(9)));
}

internal sealed class FuncBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult>(HostImportFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>(), WasmValues.Kind<T5>(), WasmValues.Kind<T6>(), WasmValues.Kind<T7>(), WasmValues.Kind<T8>(), WasmValues.Kind<T9>(), WasmValues.Kind<T10>(), WasmValues.Kind<T11>()], [WasmValues.Kind<TResult>()])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
    where T5 : struct
    where T6 : struct
    where T7 : struct
    where T8 : struct
    where T9 : struct
    where T10 : struct
    where T11 : struct
    where TResult : struct
{
    private readonly HostImportFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult> callback = (caller, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9, arg10, arg11) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                return ((FuncBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9, arg10, arg11);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => call.SetWasmResult(_handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3), call.WasmArgument<T5>(4), call.WasmArgument<T6>(5), call.WasmArgument<T7>(6), call.WasmArgument<T8>(7), call.WasmArgument<T9>(8), call.WasmArgument<T10>(9), call.WasmArgument<T11>(10)));
}

internal sealed class FuncBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult>(HostImportFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>(), WasmValues.Kind<T5>(), WasmValues.Kind<T6>(), WasmValues.Kind<T7>(), WasmValues.Kind<T8>(), WasmValues.Kind<T9>(), WasmValues.Kind<T10>(), WasmValues.Kind<T11>(), WasmValues.Kind<T12>()], [WasmValues.Kind<TResult>()])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
    where T5 : struct
    where T6 : struct
    where T7 : struct
    where T8 : struct
    where T9 : struct
    where T10 : struct
    where T11 : struct
    where T12 : struct
    where TResult : struct
{
    private readonly HostImportFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult> callback = (caller, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9, arg10, arg11, arg12) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                return ((FuncBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9, arg10, arg11, arg12);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => call.SetWasmResult(_handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3), call.WasmArgument<T5>(4), call.WasmArgument<T6>(5), call.WasmArgument<T7>(6), call.WasmArgument<T8>(7), call.WasmArgument<T9>(8), call.WasmArgument<T10>(9), call.WasmArgument<T11>(10), call.WasmArgument<T12>(11)));
}

internal sealed class ActionBinding(HostImportAction handler) : HostImportBinding([], [])
{
    private readonly HostImportAction _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerAction callback = (caller) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                ((ActionBinding)import.Binding!)._handler(new HostCall(guest, caller, import));
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => _handler(call);
}

internal sealed class ActionBinding<T1>(HostImportAction<T1> handler) : HostImportBinding([WasmValues.Kind<T1>()], [])
    where T1 : struct
{
    private readonly HostImportAction<T1> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerAction<T1> callback = (caller, arg1) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                ((ActionBinding<T1>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => _handler(call, call.WasmArgument<T1>(0));
}

internal sealed class ActionBinding<T1, T2>(HostImportAction<T1, T2> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>()], [])
    where T1 : struct
    where T2 : struct
{
    private readonly HostImportAction<T1, T2> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerAction<T1, T2> callback = (caller, arg1, arg2) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                ((ActionBinding<T1, T2>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => _handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1));
}

internal sealed class ActionBinding<T1, T2, T3>(HostImportAction<T1, T2, T3> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>()], [])
    where T1 : struct
    where T2 : struct
    where T3 : struct
{
    private readonly HostImportAction<T1, T2, T3> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerAction<T1, T2, T3> callback = (caller, arg1, arg2, arg3) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                ((ActionBinding<T1, T2, T3>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => _handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2));
}

internal sealed class ActionBinding<T1, T2, T3, T4>(HostImportAction<T1, T2, T3, T4> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>()], [])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
{
    private readonly HostImportAction<T1, T2, T3, T4> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerAction<T1, T2, T3, T4> callback = (caller, arg1, arg2, arg3, arg4) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                ((ActionBinding<T1, T2, T3, T4>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => _handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3));
}

internal sealed class ActionBinding<T1, T2, T3, T4, T5>(HostImportAction<T1, T2, T3, T4, T5> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>(), WasmValues.Kind<T5>()], [])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
    where T5 : struct
{
    private readonly HostImportAction<T1, T2, T3, T4, T5> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerAction<T1, T2, T3, T4, T5> callback = (caller, arg1, arg2, arg3, arg4, arg5) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                ((ActionBinding<T1, T2, T3, T4, T5>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4, arg5);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => _handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3), call.WasmArgument<T5>(4));
}

internal sealed class ActionBinding<T1, T2, T3, T4, T5, T6>(HostImportAction<T1, T2, T3, T4, T5, T6> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>(), WasmValues.Kind<T5>(), WasmValues.Kind<T6>()], [])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
    where T5 : struct
    where T6 : struct
{
    private readonly HostImportAction<T1, T2, T3, T4, T5, T6> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerAction<T1, T2, T3, T4, T5, T6> callback = (caller, arg1, arg2, arg3, arg4, arg5, arg6) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                ((ActionBinding<T1, T2, T3, T4, T5, T6>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4, arg5, arg6);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => _handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3), call.WasmArgument<T5>(4), call.WasmArgument<T6>(5));
}

internal sealed class ActionBinding<T1, T2, T3, T4, T5, T6, T7>(HostImportAction<T1, T2, T3, T4, T5, T6, T7> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>(), WasmValues.Kind<T5>(), WasmValues.Kind<T6>(), WasmValues.Kind<T7>()], [])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
    where T5 : struct
    where T6 : struct
    where T7 : struct
{
    private readonly HostImportAction<T1, T2, T3, T4, T5, T6, T7> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerAction<T1, T2, T3, T4, T5, T6, T7> callback = (caller, arg1, arg2, arg3, arg4, arg5, arg6, arg7) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                ((ActionBinding<T1, T2, T3, T4, T5, T6, T7>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4, arg5, arg6, arg7);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => _handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3), call.WasmArgument<T5>(4), call.WasmArgument<T6>(5), call.WasmArgument<T7>(6));
}

internal sealed class ActionBinding<T1, T2, T3, T4, T5, T6, T7, T8>(HostImportAction<T1, T2, T3, T4, T5, T6, T7, T8> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>(), WasmValues.Kind<T5>(), WasmValues.Kind<T6>(), WasmValues.Kind<T7>(), WasmValues.Kind<T8>()], [])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
    where T5 : struct
    where T6 : struct
    where T7 : struct
    where T8 : struct
{
    private readonly HostImportAction<T1, T2, T3, T4, T5, T6, T7, T8> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerAction<T1, T2, T3, T4, T5, T6, T7, T8> callback = (caller, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                ((ActionBinding<T1, T2, T3, T4, T5, T6, T7, T8>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => _handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3), call.WasmArgument<T5>(4), call.WasmArgument<T6>(5), call.WasmArgument<T7>(6), call.WasmArgument<T8>(7));
}

internal sealed class ActionBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9>(HostImportAction<T1, T2, T3, T4, T5, T6, T7, T8, T9> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>(), WasmValues.Kind<T5>(), WasmValues.Kind<T6>(), WasmValues.Kind<T7>(), WasmValues.Kind<T8>(), WasmValues.Kind<T9>()], [])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
    where T5 : struct
    where T6 : struct
    where T7 : struct
    where T8 : struct
    where T9 : struct
{
    private readonly HostImportAction<T1, T2, T3, T4, T5, T6, T7, T8, T9> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerAction<T1, T2, T3, T4, T5, T6, T7, T8, T9> callback = (caller, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                ((ActionBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => _handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3), call.WasmArgument<T5>(4), call.WasmArgument<T6>(5), call.WasmArgument<T7>(6), call.WasmArgument<T8>(7), call.WasmArgument<T9>(8));
}

internal sealed class ActionBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(HostImportAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>(), WasmValues.Kind<T5>(), WasmValues.Kind<T6>(), WasmValues.Kind<T7>(), WasmValues.Kind<T8>(), WasmValues.Kind<T9>(), WasmValues.Kind<T10>()], [])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
    where T5 : struct
    where T6 : struct
    where T7 : struct
    where T8 : struct
    where T9 : struct
    where T10 : struct
{
    private readonly HostImportAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> callback = (caller, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9, arg10) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                ((ActionBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9, arg10);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => _handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3), call.WasmArgument<T5>(4), call.WasmArgument<T6>(5), call.WasmArgument<T7>(6), call.WasmArgument<T8>(7), call.WasmArgument<T9>(8), call.WasmArgument<T10>(9));
}

internal sealed class ActionBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(HostImportAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>(), WasmValues.Kind<T5>(), WasmValues.Kind<T6>(), WasmValues.Kind<T7>(), WasmValues.Kind<T8>(), WasmValues.Kind<T9>(), WasmValues.Kind<T10>(), WasmValues.Kind<T11>()], [])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
    where T5 : struct
    where T6 : struct
    where T7 : struct
    where T8 : struct
    where T9 : struct
    where T10 : struct
    where T11 : struct
{
    private readonly HostImportAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> callback = (caller, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9, arg10, arg11) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                ((ActionBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9, arg10, arg11);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => _handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3), call.WasmArgument<T5>(4), call.WasmArgument<T6>(5), call.WasmArgument<T7>(6), call.WasmArgument<T8>(7), call.WasmArgument<T9>(8), call.WasmArgument<T10>(9), call.WasmArgument<T11>(10));
}

internal sealed class ActionBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(HostImportAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> handler) : HostImportBinding([WasmValues.Kind<T1>(), WasmValues.Kind<T2>(), WasmValues.Kind<T3>(), WasmValues.Kind<T4>(), WasmValues.Kind<T5>(), WasmValues.Kind<T6>(), WasmValues.Kind<T7>(), WasmValues.Kind<T8>(), WasmValues.Kind<T9>(), WasmValues.Kind<T10>(), WasmValues.Kind<T11>(), WasmValues.Kind<T12>()], [])
    where T1 : struct
    where T2 : struct
    where T3 : struct
    where T4 : struct
    where T5 : struct
    where T6 : struct
    where T7 : struct
    where T8 : struct
    where T9 : struct
    where T10 : struct
    where T11 : struct
    where T12 : struct
{
    private readonly HostImportAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    public override void Define(Linker linker, string module, string name, int index)
    {
        CallerAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> callback = (caller, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9, arg10, arg11, arg12) =>
        {
            var guest = Guest(caller);
            var import = guest.Import(index);
            try
            {
                ((ActionBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>)import.Binding!)._handler(new HostCall(guest, caller, import), arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9, arg10, arg11, arg12);
            }
            catch (OperationCanceledException) when (guest.HostInterruption() is { } interrupted)
            {
                throw interrupted;
            }
        };
        linker.DefineFunction(module, name, callback);
    }

    public override void Invoke(HostCall call) => _handler(call, call.WasmArgument<T1>(0), call.WasmArgument<T2>(1), call.WasmArgument<T3>(2), call.WasmArgument<T4>(3), call.WasmArgument<T5>(4), call.WasmArgument<T6>(5), call.WasmArgument<T7>(6), call.WasmArgument<T8>(7), call.WasmArgument<T9>(8), call.WasmArgument<T10>(9), call.WasmArgument<T11>(10), call.WasmArgument<T12>(11));
}
