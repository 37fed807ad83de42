using System.Diagnostics;

namespace Vyra.Cli.Infrastructure;

/// <summary>
/// A status line on standard error while something long runs (standard output stays the result alone). On a terminal
/// the line is rewritten in place a few times a second; when standard error is redirected (a log file, CI) a plain
/// line is written at most once a second, so the log stays readable. A disabled line writes nothing.
/// </summary>
internal sealed class ProgressLine
{
    private readonly TextWriter? _output;
    private readonly bool _inPlace;
    private readonly long _interval;
    private long _next;
    private int _width;

    /// <summary>A line on <paramref name="output"/> (null: disabled), rewritten in place or written as plain lines.</summary>
    internal ProgressLine(TextWriter? output, bool inPlace)
    {
        _output = output;
        _inPlace = inPlace;
        _interval = inPlace ? Stopwatch.Frequency / 10 : Stopwatch.Frequency;
        _next = Stopwatch.GetTimestamp() + _interval;
    }

    public static ProgressLine Create(bool enabled) =>
        enabled ? new ProgressLine(Console.Error, !Console.IsErrorRedirected) : new ProgressLine(null, false);

    /// <summary>A line that stays (what is about to happen).</summary>
    public void Say(string text)
    {
        if (_output is null) return;
        Clear();
        _output.WriteLine(text);
        _output.Flush();
    }

    /// <summary>True when an update is due at <paramref name="timestamp"/>; cheap enough to ask after every call.</summary>
    public bool IsDue(long timestamp) => _output is not null && timestamp >= _next;

    public void Update(string text, long timestamp)
    {
        if (_output is null) return;
        _next = timestamp + _interval;
        if (_inPlace)
        {
            _output.Write("\r" + text.PadRight(_width));
            _width = text.Length;
        }
        else
        {
            _output.WriteLine(text);
        }
        _output.Flush();
    }

    /// <summary>Removes an in-place line, so what follows starts on a clean line.</summary>
    public void Clear()
    {
        if (_output is null || !_inPlace || _width == 0) return;
        _output.Write("\r" + new string(' ', _width) + "\r");
        _width = 0;
        _output.Flush();
    }
}
