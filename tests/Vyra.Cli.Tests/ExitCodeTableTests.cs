using Vyra.Cli.Infrastructure;
using Vyra.Sdk;

namespace Vyra.Cli.Tests;

/// <summary>The exit-code table: one code per failure kind, shown once in <c>vyra --help</c>, referred to by every command.</summary>
public sealed class ExitCodeTableTests
{
    private static readonly int[] CommandCodes = [ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.LoadFailed, ExitCodes.NotAModule];

    [Fact]
    public void Every_error_kind_has_its_own_code_apart_from_the_command_codes()
    {
        var kinds = Enum.GetValues<PluginErrorKind>();
        var codes = kinds.Select(ExitCodes.For).ToList();
        Assert.Equal(kinds.Length, codes.Distinct().Count());
        Assert.All(codes, code => Assert.DoesNotContain(code, CommandCodes));
        Assert.All(codes, code => Assert.InRange(code, 1, 125)); // above 125 shells reserve the codes

        Assert.Equal(16, ExitCodes.For(PluginErrorKind.Reentrant));
        Assert.Equal(17, ExitCodes.For(PluginErrorKind.Overloaded));
        Assert.Equal(18, ExitCodes.For(PluginErrorKind.PermissionDenied));
        Assert.Equal(19, ExitCodes.For(PluginErrorKind.Blocked));
    }

    [Fact]
    public void The_help_table_names_every_kind_with_its_code()
    {
        foreach (var kind in Enum.GetValues<PluginErrorKind>())
        {
            Assert.Contains($"{ExitCodes.For(kind)} {kind}", ExitCodes.HelpTable);
        }
    }

    [Fact]
    public void Root_help_shows_the_table_once_and_every_command_points_to_it()
    {
        var root = VyraTool.Run("--help");
        Assert.True(root.ExitCode == 0, root.ToString());
        foreach (var kind in Enum.GetValues<PluginErrorKind>()) Assert.Contains($"{ExitCodes.For(kind)} {kind}", root.Stdout);

        foreach (var command in new[] { "inspect", "validate", "call", "new", "bench", "convert", "keygen", "sign", "verify" })
        {
            var help = VyraTool.Run(command, "--help");
            Assert.True(help.ExitCode == 0, help.ToString());
            Assert.Contains("vyra --help", help.Stdout);
            Assert.DoesNotContain("5 InvalidArgument", help.Stdout);
            Assert.Contains("--json", help.Stdout);
        }
    }
}
