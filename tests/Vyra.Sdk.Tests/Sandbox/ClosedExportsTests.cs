using Vyra.Sdk;
using Xunit;
using static Vyra.Sdk.Tests.Sandbox.SandboxChecks;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>Undeclared exports are closed by default (VYRA answers only ping); ABI internals are never callable by name.</summary>
public class ClosedExportsTests
{
    private const string Wat = """
        (module
          (memory (export "memory") 1)
          (global $initialized (mut i32) (i32.const 0))
          (func (export "vyra_alloc") (param i32) (result i32) (i32.const 1024))
          (func (export "vyra_free") (param i32 i32))
          (func (export "_initialize") (global.set $initialized (i32.add (global.get $initialized) (i32.const 1))))
          (func (export "__wasm_call_ctors"))
          (func (export "helper") (result i32) (i32.const 7))
          (func (export "initialized") (result i32) (global.get $initialized)))
        """;

    private static readonly string[] Internal = ["vyra_alloc", "vyra_free", "_initialize", "__wasm_call_ctors", "memory"];

    private static PluginRuntime Create(TestPlugin plugin, PluginRuntimeOptions? options = null) =>
        PluginRuntime.Create(plugin.Id, plugin.ModulePath, options: options); // not TestPlugin.Create: no development mode

    [Theory]
    [InlineData("a manifest without exports")]
    [InlineData("no manifest")]
    public async Task Only_ping_answers_when_nothing_is_declared(string what)
    {
        using var plugin = TestPlugin.FromWat(Wat, what == "no manifest" ? null : TestPlugin.Manifest());
        await using var runtime = Create(plugin);
        await runtime.StartAsync();

        Assert.Equal("ok", (await runtime.CallAsync("ping"))["status"]);
        foreach (var name in Internal.Append("helper").Append("initialized"))
        {
            var ex = await FailsWith(PluginErrorKind.UnknownFunction, async () => await runtime.CallAsync(name));
            Assert.Contains("only ping", ex.Reason);
        }
    }

    [Fact]
    public async Task The_development_opt_in_opens_plain_exports_but_never_the_internals()
    {
        using var plugin = TestPlugin.FromWat(Wat, TestPlugin.Manifest());
        await using var runtime = Create(plugin, new PluginRuntimeOptions { AllowUndeclaredExports = true });
        await runtime.StartAsync();

        Assert.Equal(7, await CallInt(runtime, "helper"));
        foreach (var name in Internal) await FailsWith(PluginErrorKind.UnknownFunction, async () => await runtime.CallAsync(name));
        Assert.Equal(1, await CallInt(runtime, "initialized")); // _initialize ran once, at start, and never again
    }

    [Theory]
    [InlineData("vyra_alloc")]
    [InlineData("_initialize")]
    [InlineData("__wasm_call_ctors")]
    public async Task A_manifest_cannot_declare_an_internal_export_callable(string name)
    {
        using var plugin = TestPlugin.FromWat(Wat, TestPlugin.Manifest(exports: $$"""[{ "name": "{{name}}", "args": [] }]"""));
        await using var runtime = Create(plugin);
        var ex = await Assert.ThrowsAsync<PluginLoadException>(async () => await runtime.StartAsync());
        Assert.Contains($"export '{name}' is internal", ex.Message);
    }

    [Fact]
    public async Task On_event_is_callable_by_name_only_when_declared()
    {
        const string wat = """
            (module
              (memory (export "memory") 1)
              (global $events (mut i32) (i32.const 0))
              (func (export "vyra_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "on_event") (param i32 i32 i32 i32) (global.set $events (i32.add (global.get $events) (i32.const 1))))
              (func (export "events") (result i32) (global.get $events)))
            """;
        using var declared = TestPlugin.FromWat(wat, TestPlugin.Manifest(exports: """
            [{ "name": "on_event", "args": [{ "name": "name", "type": "string" }, { "name": "data", "type": "json" }] },
             { "name": "events", "args": [], "returns": "i32" }]
            """));
        await using (var runtime = Create(declared))
        {
            await runtime.StartAsync();
            await runtime.CallAsync("on_event", Args(("name", "x"), ("data", null)));
            Assert.Equal(1, await CallInt(runtime, "events"));
        }

        using var undeclared = TestPlugin.FromWat(wat, TestPlugin.Manifest());
        await using var open = Create(undeclared, new PluginRuntimeOptions { AllowUndeclaredExports = true });
        await open.StartAsync();
        await FailsWith(PluginErrorKind.UnknownFunction, async () => await open.CallAsync("on_event"));
        Assert.Equal(0, await CallInt(open, "events"));
    }

    [Fact]
    public async Task Declared_exports_stay_callable_and_nothing_else()
    {
        using var plugin = TestPlugin.FromWat(Wat, TestPlugin.Manifest(exports: """[{ "name": "helper", "args": [], "returns": "i32" }]"""));
        await using var runtime = Create(plugin);
        await runtime.StartAsync();
        Assert.Equal(7, await CallInt(runtime, "helper"));
        await FailsWith(PluginErrorKind.UnknownFunction, async () => await runtime.CallAsync("initialized"));
    }
}
