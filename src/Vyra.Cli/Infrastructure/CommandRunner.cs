using Microsoft.Extensions.Logging;
using Vyra.Sdk;

namespace Vyra.Cli.Infrastructure;

/// <summary>Runs a command body and turns the exceptions every command shares into messages and exit codes.</summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (NotAModuleException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return ExitCodes.NotAModule;
        }
        catch (PluginCallException ex)
        {
            Console.Error.WriteLine(Describe(ex));
            return ExitCodes.For(ex.Kind);
        }
        catch (PluginLoadException ex)
        {
            Console.Error.WriteLine($"error: the plugin cannot be loaded: {ex.Message}");
            return ExitCodes.LoadFailed;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("error: cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Wasmtime.WasmtimeException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return ExitCodes.Failed;
        }
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
