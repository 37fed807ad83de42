using Wasmtime;

namespace Vyra.Sdk;

/// <summary>Turns whatever a guest call threw into the one <see cref="PluginCallException"/> with the right kind.</summary>
internal static class GuestFailure
{
    /// <summary>
    /// A call the guard interrupted (<see cref="CallGuard"/>): cancelled or stopped → Cancelled, carrying the caller's token;
    /// otherwise its deadline → Timeout. Core modules and components map it the same way.
    /// </summary>
    public static PluginCallException Interrupted(string pluginId, string function, GuestInterruptedException interrupted, Exception exception) =>
        interrupted.Reason is Interruption.Cancelled or Interruption.Stopped
            ? new(pluginId, function, interrupted.Message, PluginErrorKind.Cancelled, new OperationCanceledException(interrupted.Message, exception, interrupted.Token))
            : new(pluginId, function, "the call timed out", PluginErrorKind.Timeout, exception);

    public static PluginCallException ToCallException(string pluginId, string function, Exception exception, WasmInstance? instance)
    {
        if (exception is PluginCallException call) return call;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case GuestInterruptedException interrupted:
                    return Interrupted(pluginId, function, interrupted, exception);
                case AbiViolationException abi:
                    return new(pluginId, function, abi.Message, PluginErrorKind.Abi, abi);
                case PluginCallException nested:
                    return new(pluginId, function, nested.Reason, nested.Kind, nested);
            }
        }
        if (exception is TrapException trap)
        {
            var reason = "the plugin trapped: " + TrapText(trap.Message);
            return trap.Type switch
            {
                TrapCode.OutOfFuel => new(pluginId, function, "the call ran out of fuel", PluginErrorKind.OutOfFuel, trap),
                TrapCode.StackOverflow => new(pluginId, function, "the plugin overflowed its stack (too deep recursion)", PluginErrorKind.StackOverflow, trap),
                TrapCode.Interrupt => new(pluginId, function, "the call timed out", PluginErrorKind.Timeout, trap),
                _ when instance?.LikelyHitMemoryLimit(trap.Type) == true => new(pluginId, function, reason + " after the memory limit refused to grow memory", PluginErrorKind.MemoryLimit, trap),
                _ => new(pluginId, function, reason, PluginErrorKind.Trap, trap),
            };
        }
        if (exception is WasmtimeException { InnerException: { } hostException })
        {
            return new(pluginId, function, $"a host function failed: {hostException.Message}", PluginErrorKind.HostFunction, hostException);
        }
        return new(pluginId, function, TrapText(exception.Message), PluginErrorKind.Trap, exception);
    }

    /// <summary>
    /// Wasmtime's trap messages start with "error while executing at wasm backtrace:" and a backtrace; the cause
    /// ("wasm trap: integer divide by zero") comes last. Keep the cause.
    /// </summary>
    internal static string TrapText(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var line in lines)
        {
            var at = line.IndexOf("wasm trap:", StringComparison.Ordinal);
            if (at >= 0) return line[(at + "wasm trap:".Length)..].Trim();
        }
        return lines.Length == 0 ? message : lines[^1];
    }
}
