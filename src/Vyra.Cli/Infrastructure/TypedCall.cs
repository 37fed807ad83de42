using System.Linq.Expressions;
using System.Reflection;
using Vyra.Sdk;
using Wasmtime;

namespace Vyra.Cli.Infrastructure;

/// <summary>
/// The typed call path for <c>vyra bench --typed</c>: the export is bound once per instance to a Wasmtime typed delegate
/// (<c>Function.WrapFunc&lt;...&gt;</c>/<c>WrapAction&lt;...&gt;</c>, chosen from the module's signature at run time), and a
/// compiled invoker passes the pre-coerced arguments, as a generated proxy would.
/// </summary>
internal static class TypedCall
{
    public static Func<CancellationToken, ValueTask> Create(WasmRuntime runtime, PluginLocation location, string function, IReadOnlyDictionary<string, object?> data)
    {
        FunctionExport export;
        using (var module = WasmModuleInfo.Load(location.ModulePath))
        {
            export = module.FindFunction(function)
                ?? throw new PluginCallException(runtime.PluginId, function, "the module exports no such function", PluginErrorKind.UnknownFunction);
        }
        var parameters = export.Parameters;
        var results = export.Results;
        if (!parameters.Concat(results).All(k => k is ValueKind.Int32 or ValueKind.Int64 or ValueKind.Float32 or ValueKind.Float64) || results.Count > 1)
        {
            throw new UsageException($"--typed supports scalar exports with at most one result; '{function}' is {WasmSignature.Format(parameters, results)} (drop --typed to use CallAsync)");
        }

        var declared = runtime.Manifest?.FindExport(function);
        if (declared?.Args is { } args && args.Any(a => a.Type.IsMemoryValue()))
        {
            throw new UsageException($"--typed supports scalar arguments only; '{function}' takes string, bytes or json (drop --typed to use CallAsync)");
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
                throw new PluginCallException(runtime.PluginId, function, $"argument '{names[i]}': {ex.Message}", PluginErrorKind.InvalidArgument, ex);
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
        var delegateType = wrap.ReturnType;

        // invoke = d => ((Func<...>)d)(v0, v1, ...), compiled once.
        var input = Expression.Parameter(typeof(Delegate), "d");
        var body = Expression.Invoke(Expression.Convert(input, delegateType), values.Select((v, i) => Expression.Constant(v, clrTypes[i])));
        var invoke = Expression.Lambda<Action<Delegate>>(body, input).Compile();

        var typed = runtime.GetTypedExport<Delegate>(function, f => (Delegate?)wrap.Invoke(f, null));
        return cancellationToken =>
        {
            using var call = typed.Enter(cancellationToken);
            try
            {
                invoke(call.Function);
            }
            catch (Exception ex)
            {
                throw call.Fail(ex);
            }
            return ValueTask.CompletedTask;
        };
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
