using System.Linq.Expressions;
using System.Reflection;
using Vyra.Sdk;
using Wasmtime;

namespace Vyra.Cli.Infrastructure;

/// <summary>
/// One scalar export call prepared once, for the paths of <c>vyra bench</c> that bypass the dictionary: the arguments
/// coerced from <c>key=value</c> to the wasm types, <see cref="Bind"/> to turn a Wasmtime <see cref="Function"/> into
/// its typed delegate (<c>Function.WrapFunc&lt;...&gt;</c>/<c>WrapAction&lt;...&gt;</c>, chosen from the signature at run
/// time), and <see cref="Invoke"/>, a compiled invoker that passes the arguments as constants, as a generated proxy
/// would. The typed SDK path and the raw Wasmtime path share it, so both make exactly the same call.
/// </summary>
internal sealed class ScalarCall
{
    private ScalarCall(MethodInfo wrap, Action<Delegate> invoke)
    {
        _wrap = wrap;
        Invoke = invoke;
    }

    private readonly MethodInfo _wrap;

    /// <summary>Calls a delegate made by <see cref="Bind"/> with the prepared arguments (the result is dropped).</summary>
    public Action<Delegate> Invoke { get; }

    /// <summary>The typed delegate for <paramref name="function"/>; null when Wasmtime finds the signature different.</summary>
    public Delegate? Bind(Function function) => (Delegate?)_wrap.Invoke(function, null);

    /// <summary>
    /// Prepares the call of <paramref name="export"/>; a signature that is not scalar (memory-ABI arguments, several
    /// results) is a <see cref="UsageException"/> that names <paramref name="flag"/> and the way out.
    /// </summary>
    public static ScalarCall Prepare(string pluginId, PluginManifest? manifest, FunctionExport export, IReadOnlyDictionary<string, object?> data, string flag, string instead)
    {
        var function = export.Name;
        var parameters = export.Parameters;
        var results = export.Results;
        if (!parameters.Concat(results).All(k => k is ValueKind.Int32 or ValueKind.Int64 or ValueKind.Float32 or ValueKind.Float64) || results.Count > 1)
        {
            throw new UsageException($"{flag} supports scalar exports with at most one result; '{function}' is {WasmSignature.Format(parameters, results)} ({instead})");
        }

        var declared = manifest?.FindExport(function);
        if (declared?.Args is { } args && args.Any(a => a.Type.IsMemoryValue()))
        {
            throw new UsageException($"{flag} supports scalar arguments only; '{function}' takes string, bytes or json ({instead})");
        }
        var names = declared?.Args?.Select(a => a.Name).ToList() ?? parameters.Select((_, i) => $"arg{i}").ToList();
        var types = declared?.Args?.Select(a => a.Type).ToList();
        if (names.Count != parameters.Count)
        {
            throw new UsageException($"the manifest declares {names.Count} argument(s) for '{function}' but the module takes {parameters.Count}");
        }

        var values = new object[parameters.Count];
        for (var i = 0; i < parameters.Count; i++)
        {
            var present = data.TryGetValue(names[i], out var value);
            try
            {
                values[i] = Coerce(parameters[i], types?[i], present, value);
            }
            catch (FormatException ex)
            {
                throw new PluginCallException(pluginId, function, $"argument '{names[i]}': {ex.Message}", PluginErrorKind.InvalidArgument, ex);
            }
        }

        var clrTypes = parameters.Select(ClrType).ToList();
        MethodInfo wrap;
        if (results.Count == 0)
        {
            wrap = Generic("WrapAction", clrTypes.Count);
            if (clrTypes.Count > 0) wrap = wrap.MakeGenericMethod([.. clrTypes]);
        }
        else
        {
            wrap = Generic("WrapFunc", clrTypes.Count + 1).MakeGenericMethod([.. clrTypes, ClrType(results[0])]);
        }

        // invoke = d => ((Func<...>)d)(v0, v1, ...), compiled once.
        var input = Expression.Parameter(typeof(Delegate), "d");
        var body = Expression.Invoke(Expression.Convert(input, wrap.ReturnType), values.Select((v, i) => Expression.Constant(v, clrTypes[i])));
        var invoke = Expression.Lambda<Action<Delegate>>(body, input).Compile();
        return new ScalarCall(wrap, invoke);
    }

    private static MethodInfo Generic(string name, int arity) =>
        typeof(Function).GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Single(m => m.Name == name && m.GetParameters().Length == 0 && m.GetGenericArguments().Length == arity);

    private static Type ClrType(ValueKind kind) => kind switch
    {
        ValueKind.Int32 => typeof(int),
        ValueKind.Int64 => typeof(long),
        ValueKind.Float32 => typeof(float),
        _ => typeof(double),
    };

    private static object Coerce(ValueKind kind, PluginValueType? declared, bool present, object? value)
    {
        if (declared == PluginValueType.Bool) return present && ScalarCoercion.ToBoolean(value) ? 1 : 0;
        return kind switch
        {
            // Each arm boxed as its own type (a plain switch would widen them all to double).
            ValueKind.Int32 => (object)(present ? ScalarCoercion.ToInt32(value) : 0),
            ValueKind.Int64 => (object)(present ? ScalarCoercion.ToInt64(value) : 0L),
            ValueKind.Float32 => (object)(present ? (float)ScalarCoercion.ToDouble(value) : 0f),
            _ => (object)(present ? ScalarCoercion.ToDouble(value) : 0d),
        };
    }
}
