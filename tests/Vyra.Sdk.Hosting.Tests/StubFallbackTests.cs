using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Vyra.Sdk;
using Vyra.Sdk.Hosting;
using Xunit;

namespace Vyra.Sdk.Hosting.Tests;

/// <summary>
/// A hosted application that configured a plugin expects that plugin: a module that became missing or unusable after
/// discovery fails the plugin's creation instead of quietly answering from the stub, unless the plugin asks for the stub.
/// </summary>
public class StubFallbackTests
{
    private static TempPool OnePlugin() => new TempPool().Add("one", """
        { "id": "one", "version": "1.0.0", "exports": [ { "name": "one", "args": [], "returns": "i32" } ] }
        """, """(module (func (export "one") (result i32) (i32.const 1)))""");

    private static IHost Discovered(TempPool pool, params (string Key, string Value)[] more)
    {
        var configuration = new Dictionary<string, string?> { ["Vyra:Plugins:Pools:0"] = pool.Root };
        foreach (var (key, value) in more) configuration[key] = value;
        var builder = Fixtures.NewHost(configuration);
        builder.Services.AddVyraPlugins();
        var host = builder.Build();
        Assert.Contains(host.Services.GetRequiredService<IPluginRuntimes>().Plugins, e => e.Id == "one" && e.CanRun); // discovery saw a valid module
        return host;
    }

    [Fact]
    public void A_module_that_became_unusable_fails_naming_the_file_instead_of_falling_back_to_the_stub()
    {
        using var pool = OnePlugin();
        using var host = Discovered(pool);
        var plugins = host.Services.GetRequiredService<IPluginRuntimes>();
        var module = Path.Combine(pool.Root, "one", "1.0.0", "logic.wat");
        File.WriteAllText(module, "not a module any more");
        var ex = Assert.Throws<PluginLoadException>(() => plugins.Get("one"));
        Assert.Contains(module, ex.Message);
        Assert.Contains("StubFallback", ex.Message);
    }

    [Fact]
    public void A_plugin_configured_PreferStub_still_gets_the_stub()
    {
        using var pool = OnePlugin();
        using var host = Discovered(pool, ("Vyra:Plugins:ById:one:PreferStub", "true"));
        var plugins = host.Services.GetRequiredService<IPluginRuntimes>();
        File.WriteAllText(Path.Combine(pool.Root, "one", "1.0.0", "logic.wat"), "not a module any more");
        Assert.IsType<StubRuntime>(plugins.Get("one"));
    }

    [Fact]
    public void The_factory_context_carries_the_refusal_and_the_stub_choice()
    {
        using var pool = OnePlugin();
        using var host = Discovered(pool, ("Vyra:Plugins:ById:one:PreferStub", "true"));
        var plugins = host.Services.GetRequiredService<IPluginRuntimes>();
        var context = plugins.CreateContext("one");
        Assert.Equal(StubFallback.Refuse, context.Options.StubFallback);
        Assert.Same(GuestConcurrency.Host, context.Options.GuestConcurrency); // hosted plugins share the process-wide guest budget
        Assert.True(context.Options.PreferStub);
        Assert.True(context.PreferStub);
    }
}
