namespace Vyra.Sdk;

/// <summary>
/// Host imports with a typed handler, for generated host bindings: the kernel links the handler as a typed Wasmtime
/// host function (no boxed argument spans), and the handler reads memory values straight from guest memory
/// (<see cref="HostCall.ReadString"/>) and writes its answer straight into a guest buffer (<see cref="HostCall.WriteString"/>).
/// The type arguments are the import's wasm value types in order (<c>int</c>, <c>long</c>, <c>float</c>, <c>double</c>);
/// they must match what <c>parameters</c> and <c>results</c> lower to, or the import is refused
/// with an <see cref="ArgumentException"/>. The result's <see cref="HostImport.Handler"/> runs the same handler over
/// untyped arguments, so the import works wherever a hand-written one does.
/// </summary>
public static class TypedHostImport
{
    /// <summary>A host import whose handler takes 0 wasm arguments and returns one wasm value.</summary>
    public static HostImport Function<TResult>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportFunc<TResult> handler)
        where TResult : struct
        => new(name, parameters, results, new FuncBinding<TResult>(handler));

    /// <summary>A host import whose handler takes 1 wasm argument and returns one wasm value.</summary>
    public static HostImport Function<T1, TResult>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportFunc<T1, TResult> handler)
        where T1 : struct
        where TResult : struct
        => new(name, parameters, results, new FuncBinding<T1, TResult>(handler));

    /// <summary>A host import whose handler takes 2 wasm arguments and returns one wasm value.</summary>
    public static HostImport Function<T1, T2, TResult>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportFunc<T1, T2, TResult> handler)
        where T1 : struct
        where T2 : struct
        where TResult : struct
        => new(name, parameters, results, new FuncBinding<T1, T2, TResult>(handler));

    /// <summary>A host import whose handler takes 3 wasm arguments and returns one wasm value.</summary>
    public static HostImport Function<T1, T2, T3, TResult>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportFunc<T1, T2, T3, TResult> handler)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where TResult : struct
        => new(name, parameters, results, new FuncBinding<T1, T2, T3, TResult>(handler));

    /// <summary>A host import whose handler takes 4 wasm arguments and returns one wasm value.</summary>
    public static HostImport Function<T1, T2, T3, T4, TResult>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportFunc<T1, T2, T3, T4, TResult> handler)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where TResult : struct
        => new(name, parameters, results, new FuncBinding<T1, T2, T3, T4, TResult>(handler));

    /// <summary>A host import whose handler takes 5 wasm arguments and returns one wasm value.</summary>
    public static HostImport Function<T1, T2, T3, T4, T5, TResult>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportFunc<T1, T2, T3, T4, T5, TResult> handler)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where TResult : struct
        => new(name, parameters, results, new FuncBinding<T1, T2, T3, T4, T5, TResult>(handler));

    /// <summary>A host import whose handler takes 6 wasm arguments and returns one wasm value.</summary>
    public static HostImport Function<T1, T2, T3, T4, T5, T6, TResult>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportFunc<T1, T2, T3, T4, T5, T6, TResult> handler)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where TResult : struct
        => new(name, parameters, results, new FuncBinding<T1, T2, T3, T4, T5, T6, TResult>(handler));

    /// <summary>A host import whose handler takes 7 wasm arguments and returns one wasm value.</summary>
    public static HostImport Function<T1, T2, T3, T4, T5, T6, T7, TResult>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportFunc<T1, T2, T3, T4, T5, T6, T7, TResult> handler)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        where TResult : struct
        => new(name, parameters, results, new FuncBinding<T1, T2, T3, T4, T5, T6, T7, TResult>(handler));

    /// <summary>A host import whose handler takes 8 wasm arguments and returns one wasm value.</summary>
    public static HostImport Function<T1, T2, T3, T4, T5, T6, T7, T8, TResult>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportFunc<T1, T2, T3, T4, T5, T6, T7, T8, TResult> handler)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        where T8 : struct
        where TResult : struct
        => new(name, parameters, results, new FuncBinding<T1, T2, T3, T4, T5, T6, T7, T8, TResult>(handler));

    /// <summary>A host import whose handler takes 9 wasm arguments and returns one wasm value.</summary>
    public static HostImport Function<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult> handler)
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
        => new(name, parameters, results, new FuncBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult>(handler));

    /// <summary>A host import whose handler takes 10 wasm arguments and returns one wasm value.</summary>
    public static HostImport Function<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult> handler)
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
        => new(name, parameters, results, new FuncBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult>(handler));

    /// <summary>A host import whose handler takes 11 wasm arguments and returns one wasm value.</summary>
    public static HostImport Function<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult> handler)
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
        => new(name, parameters, results, new FuncBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult>(handler));

    /// <summary>A host import whose handler takes 12 wasm arguments and returns one wasm value.</summary>
    public static HostImport Function<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult> handler)
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
        => new(name, parameters, results, new FuncBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult>(handler));

    /// <summary>A host import whose handler takes 0 wasm arguments and returns nothing.</summary>
    public static HostImport Action(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportAction handler)
        => new(name, parameters, results, new ActionBinding(handler));

    /// <summary>A host import whose handler takes 1 wasm argument and returns nothing.</summary>
    public static HostImport Action<T1>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportAction<T1> handler)
        where T1 : struct
        => new(name, parameters, results, new ActionBinding<T1>(handler));

    /// <summary>A host import whose handler takes 2 wasm arguments and returns nothing.</summary>
    public static HostImport Action<T1, T2>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportAction<T1, T2> handler)
        where T1 : struct
        where T2 : struct
        => new(name, parameters, results, new ActionBinding<T1, T2>(handler));

    /// <summary>A host import whose handler takes 3 wasm arguments and returns nothing.</summary>
    public static HostImport Action<T1, T2, T3>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportAction<T1, T2, T3> handler)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        => new(name, parameters, results, new ActionBinding<T1, T2, T3>(handler));

    /// <summary>A host import whose handler takes 4 wasm arguments and returns nothing.</summary>
    public static HostImport Action<T1, T2, T3, T4>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportAction<T1, T2, T3, T4> handler)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        => new(name, parameters, results, new ActionBinding<T1, T2, T3, T4>(handler));

    /// <summary>A host import whose handler takes 5 wasm arguments and returns nothing.</summary>
    public static HostImport Action<T1, T2, T3, T4, T5>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportAction<T1, T2, T3, T4, T5> handler)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        => new(name, parameters, results, new ActionBinding<T1, T2, T3, T4, T5>(handler));

    /// <summary>A host import whose handler takes 6 wasm arguments and returns nothing.</summary>
    public static HostImport Action<T1, T2, T3, T4, T5, T6>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportAction<T1, T2, T3, T4, T5, T6> handler)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        => new(name, parameters, results, new ActionBinding<T1, T2, T3, T4, T5, T6>(handler));

    /// <summary>A host import whose handler takes 7 wasm arguments and returns nothing.</summary>
    public static HostImport Action<T1, T2, T3, T4, T5, T6, T7>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportAction<T1, T2, T3, T4, T5, T6, T7> handler)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        => new(name, parameters, results, new ActionBinding<T1, T2, T3, T4, T5, T6, T7>(handler));

    /// <summary>A host import whose handler takes 8 wasm arguments and returns nothing.</summary>
    public static HostImport Action<T1, T2, T3, T4, T5, T6, T7, T8>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportAction<T1, T2, T3, T4, T5, T6, T7, T8> handler)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        where T8 : struct
        => new(name, parameters, results, new ActionBinding<T1, T2, T3, T4, T5, T6, T7, T8>(handler));

    /// <summary>A host import whose handler takes 9 wasm arguments and returns nothing.</summary>
    public static HostImport Action<T1, T2, T3, T4, T5, T6, T7, T8, T9>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportAction<T1, T2, T3, T4, T5, T6, T7, T8, T9> handler)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        where T8 : struct
        where T9 : struct
        => new(name, parameters, results, new ActionBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9>(handler));

    /// <summary>A host import whose handler takes 10 wasm arguments and returns nothing.</summary>
    public static HostImport Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> handler)
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
        => new(name, parameters, results, new ActionBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(handler));

    /// <summary>A host import whose handler takes 11 wasm arguments and returns nothing.</summary>
    public static HostImport Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> handler)
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
        => new(name, parameters, results, new ActionBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(handler));

    /// <summary>A host import whose handler takes 12 wasm arguments and returns nothing.</summary>
    public static HostImport Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> handler)
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
        => new(name, parameters, results, new ActionBinding<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(handler));
}
