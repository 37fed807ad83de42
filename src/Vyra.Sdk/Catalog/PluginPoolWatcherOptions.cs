using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>Settings of a <see cref="PluginPoolWatcher"/>.</summary>
public sealed class PluginPoolWatcherOptions
{
    /// <summary>The host whose imports count as provided when versions are validated (default: the built-ins).</summary>
    public IHostFunctions? Host { get; init; }

    /// <summary>Where the watcher logs what it found, swapped or could not swap.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Quiet time after the last file event before the pools are scanned again (default 500 ms): copying a plugin folder
    /// is many events, and one scan should see the finished folder.
    /// </summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The longest a scan waits while events keep coming (default 5 s), so a pool that never goes quiet is still scanned.
    /// </summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Checks the values.</summary>
    internal void Validate()
    {
        if (Debounce < TimeSpan.Zero || Debounce > TimeSpan.FromHours(1)) throw new ArgumentOutOfRangeException(nameof(Debounce), Debounce, "PluginPoolWatcherOptions.Debounce must be between 0 and 1 hour");
        if (MaxDelay < Debounce || MaxDelay > TimeSpan.FromHours(1)) throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, "PluginPoolWatcherOptions.MaxDelay must be between Debounce and 1 hour");
    }
}
