using Microsoft.Extensions.Logging;
using Vyra.Sdk;

namespace Vyra.Cli.Infrastructure;

/// <summary>Runs a command body and turns the exceptions every command shares into messages and exit codes.</summary>
internal static class CommandRunner
{
    /// <summary>Runs the body; a failure is one <c>error: ...</c> line on standard error, or with <paramref name="json"/>
    /// one <c>{"error": ...}</c> document on standard output.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> body, bool json = false)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            return Fail(json, ExitCodes.Usage, ex.Message);
        }
        catch (CommandFailedException ex)
        {
            return Fail(json, ExitCodes.Failed, ex.Message);
        }
        catch (NotAModuleException ex)
        {
            return Fail(json, ExitCodes.NotAModule, ex.Message);
        }
        catch (PluginCallException ex)
        {
            var code = ExitCodes.For(ex.Kind);
            if (json) JsonMode.WriteError(code, ex.Message, ex);
            else Console.Error.WriteLine(Describe(ex));
            return code;
        }
        catch (PluginLoadException ex)
        {
            return Fail(json, ExitCodes.LoadFailed, $"the plugin cannot be loaded: {ex.Message}");
        }
        catch (OperationCanceledException)
        {
            return Fail(json, ExitCodes.Cancelled, "cancelled");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Wasmtime.WasmtimeException)
        {
            return Fail(json, ExitCodes.Failed, ex.Message);
        }
        catch (Exception ex) when (json)
        {
            // A bug of the tool: a script still gets a document it can parse (and the trace goes to standard error).
            Console.Error.WriteLine(ex);
            return Fail(json, ExitCodes.Failed, $"unexpected {ex.GetType().Name}: {ex.Message}");
        }
    }

    private static int Fail(bool json, int code, string message)
    {
        if (json) JsonMode.WriteError(code, message);
        else Console.Error.WriteLine($"error: {message}");
        return code;
    }

    /// <summary>
    /// The kernel falls back to the stub backend for a module file that is no module; on the command line that would
    /// hide a broken plugin behind a happy <c>ping</c>, so only <c>--stub</c> may ask for the stub.
    /// </summary>
    public static void RefuseStubFallback(PluginRuntime runtime, bool stubRequested, PluginLocation location)
    {
        if (!stubRequested && runtime.Backend == "stub") throw new NotAModuleException(location.ModulePath);
    }

    /// <summary><c>error: [id] call 'f' failed: reason (Kind)</c>.</summary>
    public static string Describe(PluginCallException ex) => $"error: {ex.Message} ({ex.Kind})";

    public static ILoggerFactory Logging(bool verbose) => new StderrLoggerFactory(verbose ? LogLevel.Debug : LogLevel.Warning);

    /// <summary>Runtime options from the shared <c>--timeout</c>/<c>--fuel</c> flags.</summary>
    public static PluginRuntimeOptions Options(int? timeoutMs, ulong? fuel, bool verbose)
    {
        if (timeoutMs is < 0) throw new UsageException("--timeout must be 0 (no limit) or a positive number of milliseconds");
        return new PluginRuntimeOptions
        {
            Timeout = timeoutMs switch
            {
                null => null,
                0 => Timeout.InfiniteTimeSpan,
                { } ms => TimeSpan.FromMilliseconds(ms),
            },
            Fuel = fuel,
            LoggerFactory = Logging(verbose),
            // The commands report a file that is no module themselves (NotAModuleException, its own exit code): the
            // kernel's fallback warning would only say it twice.
            StubFallback = StubFallback.Allow,
        };
    }

    /// <summary>The manifest next to the module, or null when there is none or it cannot be read (the start reports that).</summary>
    public static PluginManifest? TryReadManifest(PluginLocation location)
    {
        if (!location.HasManifest) return null;
        try
        {
            return ManifestReader.ReadFolder(location.Directory) ?? ManifestReader.ReadFile(location.ManifestPath);
        }
        catch (PluginLoadException)
        {
            return null;
        }
    }
}
