using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace Vyra.Sdk.Generators.Tests;

/// <summary>
/// Each problem is reported with its id at its place: the expected span is marked in the input itself with
/// <c>⟦</c> and <c>⟧</c> (removed before the generator sees the text).
/// </summary>
public class DiagnosticTests
{
    public static TheoryData<string, string> ManifestCases() => new()
    {
        { "VYRA001", """{ "id": "a", ⟦}⟧""" },
        { "VYRA001", """{ "id": "a", "exports": [ 1, ⟦]⟧ }""" },
        { "VYRA001", """⟦[1, 2]⟧""" },
        { "VYRA002", """⟦{⟧ "version": "1.0.0" }""" },
        { "VYRA002", """{ "id": ⟦"Bad_Id"⟧ }""" },
        { "VYRA002", """{ "id": ⟦42⟧ }""" },
        { "VYRA003", """{ "id": "a", "exports": [ { "name": "x", "args": [] }, { "name": ⟦"x"⟧, "args": [] } ] }""" },
        { "VYRA004", """{ "id": "a", "exports": [ { "name": "x", "args": [ { "name": "v", "type": ⟦"i33"⟧ } ] } ] }""" },
        { "VYRA004", """{ "id": "a", "exports": [ { "name": "x", "args": [], "returns": [ "i32", ⟦"void"⟧ ] } ] }""" },
        { "VYRA005", """{ "id": "a", "exports": [ { "name": "x", "args": [ { "name": ⟦"1abc"⟧, "type": "i32" } ] } ] }""" },
        { "VYRA005", """{ "id": "a", "exports": [ { "name": ⟦"has space"⟧, "args": [] } ] }""" },
        { "VYRA005", """{ "id": "a", "exports": [ { "name": "x", "args": [ { "name": "v", "type": "i32" }, { "name": ⟦"v"⟧, "type": "i64" } ] } ] }""" },
        { "VYRA006", """{ "id": "a", "exports": [ { "name": "get_value", "args": [] }, { "name": ⟦"getValue"⟧, "args": [] } ] }""" },
        { "VYRA006", """{ "id": "a", "exports": [ { "name": "x", "args": [ { "name": "my_arg", "type": "i32" }, { "name": ⟦"myArg"⟧, "type": "i32" } ] } ] }""" },
        { "VYRA006", """{ "id": "a", "exports": [ { "name": "upper", "args": [] }, { "name": ⟦"upper_typed"⟧, "args": [] } ] }""" },
        { "VYRA009", """{ "id": "a", "exports": [ ⟦"increment"⟧ ] }""" },
        { "VYRA010", """{ "id": "a", "initial_state": { "start": { "type": "i32", "default": ⟦"x"⟧ } } }""" },
        { "VYRA010", """{ "id": "a", "version": ⟦"v1"⟧ }""" },
        { "VYRA010", """{ "id": "a", "exports": ⟦{}⟧ }""" },
    };

    [Theory]
    [MemberData(nameof(ManifestCases))]
    public void Manifest_problems_are_reported_at_their_place(string id, string markedJson)
    {
        var (json, span) = Unmark(markedJson);
        var manifest = new InMemoryAdditionalText("/plugins/a/1.0.0/metadata.json", json);
        var (result, _) = GeneratorHarness.Run([manifest]);

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(manifest.Path, diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        var expectedLines = SourceText.From(json).Lines.GetLinePositionSpan(span);
        Assert.Equal(expectedLines, diagnostic.Location.GetLineSpan().Span);
    }

    [Fact]
    public void Line_and_column_count_from_the_start_of_the_file()
    {
        var json = "{\n  \"id\": \"a\",\n  \"exports\": [\n    { \"name\": \"x\", \"args\": [], \"returns\": \"int\" }\n  ]\n}\n";
        var (result, _) = GeneratorHarness.Run([new InMemoryAdditionalText("/p/metadata.json", json)]);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("VYRA004", diagnostic.Id);
        var start = diagnostic.Location.GetLineSpan().StartLinePosition;
        Assert.Equal((3, 42), (start.Line, start.Character)); // 0-based: line 4, column 43 in an editor
    }

    [Fact]
    public void A_broken_manifest_gives_no_proxy_but_others_still_generate()
    {
        var broken = new InMemoryAdditionalText("/p/broken/metadata.json", "{ \"id\": ");
        var good = Repo.SampleManifest(Repo.Path("samples", "plugins", "math-kit", "1.0.0", "metadata.json"));
        var (result, output) = GeneratorHarness.Run([broken, good]);

        Assert.Equal("VYRA001", Assert.Single(result.Diagnostics).Id);
        Assert.NotNull(output.GetTypeByMetadataName("Sample.App.Plugins.MathKitPlugin"));
    }

    public static TheoryData<string, string> HostCases() => new()
    {
        {
            "VYRA007",
            """
            [Vyra.Sdk.VyraHost]
            public partial class H : Sample.App.TestHostBase
            {
                public int ⟦host_when⟧(System.DateTime at) => 0;
            }
            """
        },
        {
            "VYRA007",
            """
            [Vyra.Sdk.VyraHost]
            public partial class H : Sample.App.TestHostBase
            {
                public void ⟦host_ref⟧(ref int x) { }
            }
            """
        },
        {
            "VYRA007",
            """
            [Vyra.Sdk.VyraHost]
            public partial class H : Sample.App.TestHostBase
            {
                public System.Collections.Generic.List<int> ⟦host_list⟧() => new();
            }
            """
        },
        {
            "VYRA008",
            """
            [Vyra.Sdk.VyraHost]
            public class ⟦H⟧ : Sample.App.TestHostBase
            {
                public int host_add(int a, int b) => a + b;
            }
            """
        },
        {
            "VYRA008",
            """
            public class Outer
            {
                [Vyra.Sdk.VyraHost]
                public partial class ⟦H⟧ : Sample.App.TestHostBase
                {
                    public int host_add(int a, int b) => a + b;
                }
            }
            """
        },
        {
            "VYRA006",
            """
            [Vyra.Sdk.VyraHost]
            public partial class H : Sample.App.TestHostBase
            {
                public int host_add(int a, int b) => a + b;

                [Vyra.Sdk.HostImport("host_add")]
                public int ⟦Add⟧(int a, int b) => a + b;
            }
            """
        },
        {
            "VYRA017",
            """
            public partial class H : Sample.App.TestHostBase
            {
                [Vyra.Sdk.HostImport("host_add")]
                public int ⟦Add⟧(int a, int b) => a + b;
            }
            """
        },
        {
            "VYRA018",
            """
            [Vyra.Sdk.VyraHost]
            public partial class ⟦H⟧
            {
                public int host_add(int a, int b) => a + b;
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(HostCases))]
    public void Host_class_problems_are_reported_at_the_member(string id, string markedSource)
    {
        var (source, span) = Unmark(markedSource);
        var hostBase = File.ReadAllText(Repo.Path("tests", "Vyra.Sdk.Generators.Tests", "Inputs", "host-bindings", "Hosts.cs"));
        var (result, _) = GeneratorHarness.Run([], [hostBase, source]);

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal("Source1.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
    }

    [Fact]
    public void A_class_not_deriving_from_BaseHostFunctions_is_ignored()
    {
        var (result, _) = GeneratorHarness.Run([], ["public class Plain { public int host_add(int a, int b) => a + b; }"]);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void A_host_class_without_VyraHost_gets_no_bindings()
    {
        var hostBase = File.ReadAllText(Repo.Path("tests", "Vyra.Sdk.Generators.Tests", "Inputs", "host-bindings", "Hosts.cs"));
        var (result, _) = GeneratorHarness.Run([], [hostBase, "public partial class Unmarked : Sample.App.TestHostBase { public int host_add(int a, int b) => a + b; }"]);
        Assert.Empty(result.Diagnostics);
        Assert.DoesNotContain(result.GeneratedSources, s => s.HintName.Contains("Unmarked"));
    }

    internal static (string Text, TextSpan Span) Unmark(string marked)
    {
        var start = marked.IndexOf('⟦');
        var end = marked.IndexOf('⟧');
        Assert.True(start >= 0 && end > start, "the input needs one ⟦ ... ⟧ span");
        var text = marked.Remove(end, 1).Remove(start, 1);
        return (text, TextSpan.FromBounds(start, end - 1));
    }
}
