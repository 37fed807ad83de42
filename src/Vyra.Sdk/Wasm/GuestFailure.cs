using Wasmtime;

namespace Vyra.Plugin;

/// <summary>Turns whatever a guest call threw into the one <see cref="PluginCallException"/> with the right kind.</summary>
internal static class GuestFailure
{
    public static PluginCallException ToCallException(string pluginId, string function, Exception exception, WasmInstance? instance)
    {
        if (exception is PluginCallException call) return call;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case GuestInterruptedException interrupted when interrupted.Reason == Interruption.Cancelled:
                    return new(pluginId, function, "the call was cancelled", PluginErrorKind.Cancelled, new OperationCanceledException(interrupted.Message, exception, interrupted.Token));
                case GuestInterruptedException:
                    return new(pluginId, function, "the call timed out", PluginErrorKind.Timeout, exception);
                case AbiViolationException abi:
                    return new(pluginId, function, abi.Message, PluginErrorKind.Abi, abi);
                case PluginCallException nested:
                    return new(pluginId, function, nested.Reason, nested.Kind, nested);
                case FormatException format:
                    return new(pluginId, function, format.Message, PluginErrorKind.InvalidArgument, format);
            }
        }
        if (exception is TrapException trap)
        {
            var reason = "the plugin trapped: " + WasmEngine.FirstLine(trap.Message);
            return trap.Type switch
            {
                TrapCode.OutOfFuel => new(pluginId, function, "the call ran out of fuel", PluginErrorKind.OutOfFuel, trap),
                TrapCode.StackOverflow => new(pluginId, function, "the plugin overflowed its stack (too deep recursion)", PluginErrorKind.StackOverflow, trap),
                TrapCode.Interrupt => new(pluginId, function, "the call timed out", PluginErrorKind.Timeout, trap),
                _ when instance?.IsAtMemoryLimit() == true => new(pluginId, function, reason + " (memory is at its limit)", PluginErrorKind.MemoryLimit, trap),
                _ => new(pluginId, function, reason, PluginErrorKind.Trap, trap),
            };
        }
        if (exception is WasmtimeException { InnerException: { } hostException })
        {
            return new(pluginId, function, $"a host function failed: {hostException.Message}", PluginErrorKind.HostFunction, hostException);
        }
        return new(pluginId, function, WasmEngine.FirstLine(exception.Message), PluginErrorKind.Trap, exception);
    }
}
