namespace Vyra.Sdk;

// The typed handlers of generated host bindings (TypedHostImport): the call, then the import's wasm arguments as they
// arrive (i32 → int, i64 → long, f32 → float, f64 → double; a string, bytes or json argument is its pointer and length),
// and its one wasm result. Own delegate types rather than Func/Action: HostCall is a ref struct, which .NET 8's Func
// and Action cannot take. Up to 12 wasm arguments, as many as Wasmtime's typed host functions take with a caller.

/// <summary>A typed host import with 0 wasm arguments and one wasm result (see <see cref="TypedHostImport"/>).</summary>
public delegate TResult HostImportFunc<out TResult>(HostCall call);

/// <summary>A typed host import with 1 wasm argument and one wasm result (see <see cref="TypedHostImport"/>).</summary>
public delegate TResult HostImportFunc<in T1, out TResult>(HostCall call, T1 arg1);

/// <summary>A typed host import with 2 wasm arguments and one wasm result (see <see cref="TypedHostImport"/>).</summary>
public delegate TResult HostImportFunc<in T1, in T2, out TResult>(HostCall call, T1 arg1, T2 arg2);

/// <summary>A typed host import with 3 wasm arguments and one wasm result (see <see cref="TypedHostImport"/>).</summary>
public delegate TResult HostImportFunc<in T1, in T2, in T3, out TResult>(HostCall call, T1 arg1, T2 arg2, T3 arg3);

/// <summary>A typed host import with 4 wasm arguments and one wasm result (see <see cref="TypedHostImport"/>).</summary>
public delegate TResult HostImportFunc<in T1, in T2, in T3, in T4, out TResult>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4);

/// <summary>A typed host import with 5 wasm arguments and one wasm result (see <see cref="TypedHostImport"/>).</summary>
public delegate TResult HostImportFunc<in T1, in T2, in T3, in T4, in T5, out TResult>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4, T5 arg5);

/// <summary>A typed host import with 6 wasm arguments and one wasm result (see <see cref="TypedHostImport"/>).</summary>
public delegate TResult HostImportFunc<in T1, in T2, in T3, in T4, in T5, in T6, out TResult>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4, T5 arg5, T6 arg6);

/// <summary>A typed host import with 7 wasm arguments and one wasm result (see <see cref="TypedHostImport"/>).</summary>
public delegate TResult HostImportFunc<in T1, in T2, in T3, in T4, in T5, in T6, in T7, out TResult>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4, T5 arg5, T6 arg6, T7 arg7);

/// <summary>A typed host import with 8 wasm arguments and one wasm result (see <see cref="TypedHostImport"/>).</summary>
public delegate TResult HostImportFunc<in T1, in T2, in T3, in T4, in T5, in T6, in T7, in T8, out TResult>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4, T5 arg5, T6 arg6, T7 arg7, T8 arg8);

/// <summary>A typed host import with 9 wasm arguments and one wasm result (see <see cref="TypedHostImport"/>).</summary>
public delegate TResult HostImportFunc<in T1, in T2, in T3, in T4, in T5, in T6, in T7, in T8, in T9, out TResult>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4, T5 arg5, T6 arg6, T7 arg7, T8 arg8, T9 arg9);

/// <summary>A typed host import with 10 wasm arguments and one wasm result (see <see cref="TypedHostImport"/>).</summary>
public delegate TResult HostImportFunc<in T1, in T2, in T3, in T4, in T5, in T6, in T7, in T8, in T9, in T10, out TResult>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4, T5 arg5, T6 arg6, T7 arg7, T8 arg8, T9 arg9, T10 arg10);

/// <summary>A typed host import with 11 wasm arguments and one wasm result (see <see cref="TypedHostImport"/>).</summary>
public delegate TResult HostImportFunc<in T1, in T2, in T3, in T4, in T5, in T6, in T7, in T8, in T9, in T10, in T11, out TResult>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4, T5 arg5, T6 arg6, T7 arg7, T8 arg8, T9 arg9, T10 arg10, T11 arg11);

/// <summary>A typed host import with 12 wasm arguments and one wasm result (see <see cref="TypedHostImport"/>).</summary>
public delegate TResult HostImportFunc<in T1, in T2, in T3, in T4, in T5, in T6, in T7, in T8, in T9, in T10, in T11, in T12, out TResult>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4, T5 arg5, T6 arg6, T7 arg7, T8 arg8, T9 arg9, T10 arg10, T11 arg11, T12 arg12);

/// <summary>A typed host import with 0 wasm arguments and no result (see <see cref="TypedHostImport"/>).</summary>
public delegate void HostImportAction(HostCall call);

/// <summary>A typed host import with 1 wasm argument and no result (see <see cref="TypedHostImport"/>).</summary>
public delegate void HostImportAction<in T1>(HostCall call, T1 arg1);

/// <summary>A typed host import with 2 wasm arguments and no result (see <see cref="TypedHostImport"/>).</summary>
public delegate void HostImportAction<in T1, in T2>(HostCall call, T1 arg1, T2 arg2);

/// <summary>A typed host import with 3 wasm arguments and no result (see <see cref="TypedHostImport"/>).</summary>
public delegate void HostImportAction<in T1, in T2, in T3>(HostCall call, T1 arg1, T2 arg2, T3 arg3);

/// <summary>A typed host import with 4 wasm arguments and no result (see <see cref="TypedHostImport"/>).</summary>
public delegate void HostImportAction<in T1, in T2, in T3, in T4>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4);

/// <summary>A typed host import with 5 wasm arguments and no result (see <see cref="TypedHostImport"/>).</summary>
public delegate void HostImportAction<in T1, in T2, in T3, in T4, in T5>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4, T5 arg5);

/// <summary>A typed host import with 6 wasm arguments and no result (see <see cref="TypedHostImport"/>).</summary>
public delegate void HostImportAction<in T1, in T2, in T3, in T4, in T5, in T6>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4, T5 arg5, T6 arg6);

/// <summary>A typed host import with 7 wasm arguments and no result (see <see cref="TypedHostImport"/>).</summary>
public delegate void HostImportAction<in T1, in T2, in T3, in T4, in T5, in T6, in T7>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4, T5 arg5, T6 arg6, T7 arg7);

/// <summary>A typed host import with 8 wasm arguments and no result (see <see cref="TypedHostImport"/>).</summary>
public delegate void HostImportAction<in T1, in T2, in T3, in T4, in T5, in T6, in T7, in T8>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4, T5 arg5, T6 arg6, T7 arg7, T8 arg8);

/// <summary>A typed host import with 9 wasm arguments and no result (see <see cref="TypedHostImport"/>).</summary>
public delegate void HostImportAction<in T1, in T2, in T3, in T4, in T5, in T6, in T7, in T8, in T9>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4, T5 arg5, T6 arg6, T7 arg7, T8 arg8, T9 arg9);

/// <summary>A typed host import with 10 wasm arguments and no result (see <see cref="TypedHostImport"/>).</summary>
public delegate void HostImportAction<in T1, in T2, in T3, in T4, in T5, in T6, in T7, in T8, in T9, in T10>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4, T5 arg5, T6 arg6, T7 arg7, T8 arg8, T9 arg9, T10 arg10);

/// <summary>A typed host import with 11 wasm arguments and no result (see <see cref="TypedHostImport"/>).</summary>
public delegate void HostImportAction<in T1, in T2, in T3, in T4, in T5, in T6, in T7, in T8, in T9, in T10, in T11>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4, T5 arg5, T6 arg6, T7 arg7, T8 arg8, T9 arg9, T10 arg10, T11 arg11);

/// <summary>A typed host import with 12 wasm arguments and no result (see <see cref="TypedHostImport"/>).</summary>
public delegate void HostImportAction<in T1, in T2, in T3, in T4, in T5, in T6, in T7, in T8, in T9, in T10, in T11, in T12>(HostCall call, T1 arg1, T2 arg2, T3 arg3, T4 arg4, T5 arg5, T6 arg6, T7 arg7, T8 arg8, T9 arg9, T10 arg10, T11 arg11, T12 arg12);
