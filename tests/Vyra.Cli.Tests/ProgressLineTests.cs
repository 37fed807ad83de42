using System.Diagnostics;
using Vyra.Cli.Infrastructure;

namespace Vyra.Cli.Tests;

/// <summary>
/// The progress line of <c>vyra bench</c> on a writer the test reads: rewritten in place with <c>\r</c> when standard
/// error is a terminal, plain lines when it is redirected, nothing when disabled.
/// </summary>
public sealed class ProgressLineTests
{
    [Fact]
    public void On_a_terminal_updates_overwrite_one_line_and_clear_leaves_it_blank()
    {
        var output = new StringWriter();
        var line = new ProgressLine(output, inPlace: true);
        line.Update("  100 calls, mean 1.0 µs", Stopwatch.GetTimestamp());
        line.Update("  2 calls", Stopwatch.GetTimestamp());
        line.Clear();
        line.Say("bench x.f: round 2 of 6");

        var text = output.ToString();
        Assert.DoesNotContain("\n  100", text);
        Assert.StartsWith("\r  100 calls, mean 1.0 µs\r  2 calls" + new string(' ', "  100 calls, mean 1.0 µs".Length - "  2 calls".Length), text);
        // Clear blanks the last text (the longer one before it was already padded away), then returns to the line's start.
        Assert.Contains("\r" + new string(' ', "  2 calls".Length) + "\r", text);
        Assert.EndsWith("bench x.f: round 2 of 6" + Environment.NewLine, text);
    }

    [Fact]
    public void Redirected_updates_are_plain_lines_without_carriage_returns()
    {
        var output = new StringWriter();
        var line = new ProgressLine(output, inPlace: false);
        line.Say("bench x.f: measuring 50 calls");
        line.Update("  10 of 50 calls (20%), 0.1 s", Stopwatch.GetTimestamp());
        line.Update("  30 of 50 calls (60%), 0.3 s", Stopwatch.GetTimestamp());
        line.Clear();

        Assert.DoesNotContain("\r", output.ToString());
        Assert.Equal(["bench x.f: measuring 50 calls", "  10 of 50 calls (20%), 0.1 s", "  30 of 50 calls (60%), 0.3 s"],
            output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Updates_are_due_at_most_ten_times_a_second_on_a_terminal_and_once_a_second_otherwise()
    {
        var now = Stopwatch.GetTimestamp();
        var terminal = new ProgressLine(new StringWriter(), inPlace: true);
        terminal.Update("x", now);
        Assert.False(terminal.IsDue(now + Stopwatch.Frequency / 20));
        Assert.True(terminal.IsDue(now + Stopwatch.Frequency / 10));

        var redirected = new ProgressLine(new StringWriter(), inPlace: false);
        redirected.Update("x", now);
        Assert.False(redirected.IsDue(now + Stopwatch.Frequency / 2));
        Assert.True(redirected.IsDue(now + Stopwatch.Frequency));
    }

    [Fact]
    public void A_disabled_line_writes_nothing_and_is_never_due()
    {
        var line = new ProgressLine(null, inPlace: true);
        line.Say("x");
        line.Update("y", Stopwatch.GetTimestamp());
        line.Clear();
        Assert.False(line.IsDue(long.MaxValue));
    }
}
