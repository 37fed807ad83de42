using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vyra.Sdk;
using Vyra.Sdk.Hosting.Tests.Plugins;

namespace Vyra.Sdk.Hosting.Tests;

/// <summary>Paths and host builders shared by the tests.</summary>
internal static class Fixtures
{
    /// <summary>The sample pool copied next to the tests.</summary>
    public static string SamplePool => Path.Combine(AppContext.BaseDirectory, "plugins");

    public static string ModulePath(string id) => Path.Combine(SamplePool, id, "1.0.0", "logic.wasm");

    /// <summary>A generic host builder with nothing but the given configuration (no appsettings, no environment variables).</summary>
    public static HostApplicationBuilder NewHost(IDictionary<string, string?> configuration, ListLoggerProvider? logs = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(configuration);
        if (logs is not null) builder.Logging.AddProvider(logs);
        return builder;
    }
}

/// <summary>A temporary pool with hand-written plugins (text modules, so no tools are needed).</summary>
internal sealed class TempPool : IDisposable
{
    public TempPool() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "vyra-hosting-tests-" + Guid.NewGuid().ToString("N"));

    public TempPool Add(string id, string manifest, string wat, string version = "1.0.0")
    {
        var folder = Path.Combine(Root, id, version);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "metadata.json"), manifest);
        File.WriteAllText(Path.Combine(folder, "logic.wat"), wat);
        return this;
    }

    /// <summary>A valid plugin whose <c>init</c> traps: the catalog accepts it, its start fails.</summary>
    public TempPool AddFailingInit(string id = "boom") => Add(id, $$"""
        {
          "id": "{{id}}", "version": "1.0.0",
          "exports": [ { "name": "init", "args": [ { "name": "x", "type": "i32" } ], "returns": "i32" } ],
          "initial_state": { "x": { "type": "i32", "default": 1 } }
        }
        """, """
        (module (func (export "init") (param i32) (result i32) unreachable))
        """);

    /// <summary>A plugin whose <c>spin</c> never returns, with a short timeout.</summary>
    public TempPool AddSpinner(string id = "spinner", int timeoutMs = 200) => Add(id, $$"""
        {
          "id": "{{id}}", "version": "1.0.0",
          "exports": [ { "name": "spin", "args": [], "returns": "i32" } ],
          "entry_points": { "backend": { "runtime_limits": { "timeout_ms": {{timeoutMs}} } } }
        }
        """, """
        (module (func (export "spin") (result i32) (loop $forever (br $forever)) (i32.const 0)))
        """);

    /// <summary>
    /// A plugin whose <c>spin_until_stopped</c> logs "spinning" through host_log, then never returns: the log says the call
    /// is running (the function name is unique to it, so tests can also watch its calls begin through the kernel's traces).
    /// </summary>
    public TempPool AddLoudSpinner(string id = "loud-spinner", int timeoutMs = 15000) => Add(id, $$"""
        {
          "id": "{{id}}", "version": "1.0.0",
          "exports": [ { "name": "spin_until_stopped", "args": [], "returns": "i32" } ],
          "entry_points": { "backend": { "runtime_limits": { "timeout_ms": {{timeoutMs}} } } }
        }
        """, """
        (module
          (import "vyra" "host_log" (func $log (param i32 i32)))
          (memory (export "memory") 1)
          (data (i32.const 16) "spinning")
          (func (export "spin_until_stopped") (result i32)
            (call $log (i32.const 16) (i32.const 8))
            (loop $forever (br $forever))
            (i32.const 0)))
        """);

    /// <summary>A plugin whose module is not valid text: the catalog reports it.</summary>
    public TempPool AddBrokenModule(string id = "broken") => Add(id, $$"""
        { "id": "{{id}}", "version": "1.0.0", "exports": [ { "name": "f", "args": [] } ] }
        """, "(module (func (export \"f\") (result i32) this is not wat))");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Collects log entries.</summary>
internal sealed class ListLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message, Exception? Exception)> Entries { get; } = new();

    private readonly List<(Func<(LogLevel Level, string Category, string Message, Exception? Exception), bool> Match, TaskCompletionSource Seen)> _waiters = [];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Completes when an entry matching <paramref name="match"/> is logged (or was already).</summary>
    public Task WaitForAsync(Func<(LogLevel Level, string Category, string Message, Exception? Exception), bool> match)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            if (Entries.Any(match)) return Task.CompletedTask;
            _waiters.Add((match, seen));
        }
        return seen.Task;
    }

    private void Add((LogLevel, string, string, Exception?) entry)
    {
        lock (_waiters)
        {
            Entries.Enqueue(entry);
            foreach (var waiter in _waiters.Where(w => w.Match(entry)).ToList())
            {
                waiter.Seen.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    public void Dispose()
    {
    }

    private sealed class Logger(ListLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Add((logLevel, category, formatter(state, exception), exception));
    }
}

/// <summary>Host functions that satisfy host-calc's imports (bindings generated for the <c>host_*</c> methods).</summary>
[VyraHost]
public sealed partial class CalcHost : BaseHostFunctions, IHostCalcHost
{
    public int Adds { get; private set; }

    public int host_add(int a, int b)
    {
        Adds++;
        return a + b;
    }

    public string host_lookup(string key) => "value of " + key;

    public override ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
