using Microsoft.Extensions.Logging;
using Vyra.Sdk;

namespace Vyra.Cli.Infrastructure;

/// <summary>
/// The host the CLI runs plugins with: the default built-in imports (<c>host_log</c>, <c>host_emit_event</c>), plus any
/// imports assumed for validation; guest logs and emitted events go to standard error (unless quiet), so standard
/// output holds only the result.
/// </summary>
internal sealed class ConsoleHost(bool quiet, IReadOnlyList<AssumedHostImport>? assumed = null) : BaseHostFunctions
{
    protected override void RegisterImports(HostImportRegistry imports)
    {
        foreach (var import in assumed ?? []) import.Register(imports);
    }

    public override ValueTask LogAsync(LogLevel level, string message, CancellationToken cancellationToken = default)
    {
        if (!quiet) Console.Error.WriteLine($"log: {message}");
        return ValueTask.CompletedTask;
    }

    public override ValueTask EmitEventAsync(string pluginId, string eventType, string payload, CancellationToken cancellationToken = default)
    {
        if (!quiet) Console.Error.WriteLine($"event: {eventType} {payload}");
        return ValueTask.CompletedTask;
    }

    public override ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}

/// <summary>The runtime's own log (warnings and worse by default) on standard error, one line per message.</summary>
internal sealed class StderrLoggerFactory(LogLevel minimum) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new StderrLogger(minimum);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class StderrLogger(LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var level = logLevel switch
            {
                LogLevel.Trace => "trace",
                LogLevel.Debug => "debug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warning",
                LogLevel.Error => "error",
                _ => "critical",
            };
            Console.Error.WriteLine($"{level}: {formatter(state, exception)}");
        }
    }
}
