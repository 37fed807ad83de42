using Vyra.Sdk;
using Xunit;

namespace Vyra.Sdk.Tests.Events;

public sealed class EventGlobTests
{
    [Theory]
    [InlineData("text.*", "text.shout", true)]
    [InlineData("text.*", "text.", true)]
    [InlineData("text.*", "texts.shout", false)]
    [InlineData("*", "", true)]
    [InlineData("*", "anything", true)]
    [InlineData("system.ping", "system.ping", true)]
    [InlineData("system.ping", "system.pings", false)]
    [InlineData("*.done", "math.done", true)]
    [InlineData("*.done", "math.done.not", false)]
    [InlineData("a*b*c", "abc", true)]
    [InlineData("a*b*c", "axxbyyc", true)]
    [InlineData("a*b*c", "axxcyyb", false)]
    [InlineData("a*ab", "aab", true)]
    [InlineData("a*ab", "ab", false)]
    [InlineData("**x**", "x", true)]
    [InlineData("ab*ba", "aba", false)]
    public void Globs_match_like_the_manifest_says(string glob, string name, bool expected) =>
        Assert.Equal(expected, EventGlob.Matches(glob, name));

    [Fact]
    public void No_globs_match_everything_and_an_empty_list_nothing()
    {
        Assert.True(EventGlob.MatchesAny(null, "x"));
        Assert.False(EventGlob.MatchesAny([], "x"));
        Assert.True(EventGlob.MatchesAny(["y", "x*"], "xz"));
    }
}
