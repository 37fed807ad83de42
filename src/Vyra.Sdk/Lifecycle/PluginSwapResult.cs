namespace Vyra.Sdk;

/// <summary>How a hot swap ended.</summary>
public enum PluginSwapStatus
{
    /// <summary>The new version serves calls; the old one was drained and disposed.</summary>
    Swapped,

    /// <summary>The new version would break callers (see <see cref="PluginSwapResult.BreakingChanges"/>); the old one keeps serving.</summary>
    Refused,

    /// <summary>The new version could not be loaded, checked or started (see <see cref="PluginSwapResult.Error"/>); the old one keeps serving.</summary>
    Failed,
}

/// <summary>What a hot swap did, and why. A refused or failed swap changes nothing.</summary>
/// <param name="Status">How it ended.</param>
/// <param name="Message">One line saying what happened and why, naming the exports or the failure.</param>
/// <param name="FromVersion">The version that served before (the manifest's <c>version</c>; null without one).</param>
/// <param name="ToVersion">The version asked for (null when its manifest could not be read, or has no version).</param>
/// <param name="FromPath">The module that served before.</param>
/// <param name="ToPath">The module asked for.</param>
/// <param name="BreakingChanges">Each export the new version removes or changes, one line each (also set when forced).</param>
/// <param name="StateCarried">True when the old version's snapshot was restored into the new one.</param>
/// <param name="StateNote">Why the state was or was not carried (for example "the old version exports no vyra_snapshot").</param>
/// <param name="Error">The load or start failure of a <see cref="PluginSwapStatus.Failed"/> swap.</param>
public sealed record PluginSwapResult(
    PluginSwapStatus Status,
    string Message,
    string? FromVersion,
    string? ToVersion,
    string FromPath,
    string ToPath,
    IReadOnlyList<string> BreakingChanges,
    bool StateCarried,
    string StateNote,
    Exception? Error = null)
{
    /// <summary>True when the new version serves calls.</summary>
    public bool Succeeded => Status == PluginSwapStatus.Swapped;

    /// <inheritdoc />
    public override string ToString() => Message;
}
