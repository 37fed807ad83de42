using System.Runtime.CompilerServices;
using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// The four wasm value types of the plugin ABI as CLR type arguments (<c>int</c>, <c>long</c>, <c>float</c>,
/// <c>double</c>) and their conversions from and to <see cref="ValueBox"/>, for typed host imports run over untyped
/// arguments. Each method is a chain of <c>typeof</c> tests that the JIT (and NativeAOT) folds per instantiation: no
/// boxing, no reflection.
/// </summary>
internal static class WasmValues
{
    public static ValueKind Kind<T>() =>
        typeof(T) == typeof(int) ? ValueKind.Int32
        : typeof(T) == typeof(long) ? ValueKind.Int64
        : typeof(T) == typeof(float) ? ValueKind.Float32
        : typeof(T) == typeof(double) ? ValueKind.Float64
        : throw new ArgumentException($"{typeof(T).Name} is not a wasm value type of the plugin ABI (int, long, float or double)");

    public static T From<T>(in ValueBox box)
    {
        if (typeof(T) == typeof(int))
        {
            var value = box.AsInt32();
            return Unsafe.As<int, T>(ref value);
        }
        if (typeof(T) == typeof(long))
        {
            var value = box.AsInt64();
            return Unsafe.As<long, T>(ref value);
        }
        if (typeof(T) == typeof(float))
        {
            var value = box.AsSingle();
            return Unsafe.As<float, T>(ref value);
        }
        var wide = box.AsDouble();
        return Unsafe.As<double, T>(ref wide);
    }

    public static ValueBox To<T>(T value)
    {
        if (typeof(T) == typeof(int)) return Unsafe.As<T, int>(ref value);
        if (typeof(T) == typeof(long)) return Unsafe.As<T, long>(ref value);
        if (typeof(T) == typeof(float)) return Unsafe.As<T, float>(ref value);
        return Unsafe.As<T, double>(ref value);
    }
}
