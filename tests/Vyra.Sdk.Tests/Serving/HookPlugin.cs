using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;

namespace Vyra.Sdk.Tests.Serving;

/// <summary>
/// A guest whose exports call one host function, <c>host_hook(n) -&gt; i32</c>, that each test sets to whatever it
/// needs (block until released, call back into a runtime, stop it...). <c>hook_then_spin</c> calls the hook and then
/// loops forever; <c>spin</c> only loops; <c>on_event</c> calls the hook with -1.
/// </summary>
internal static class HookPlugin
{
    public const string Wat = """
        (module
          (import "vyra" "host_hook" (func $hook (param i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "vyra_alloc") (param i32) (result i32) (i32.const 1024))
          (func (export "hook") (param $n i32) (result i32) (call $hook (local.get $n)))
          (func (export "hook_then_spin") (param $n i32) (result i32)
            (drop (call $hook (local.get $n)))
            (loop $forever (br $forever))
            (i32.const 0))
          (func (export "spin") (loop $forever (br $forever)))
          (func (export "double") (param $x i32) (result i32) (i32.mul (local.get $x) (i32.const 2)))
          (func (export "on_event") (param i32 i32 i32 i32) (drop (call $hook (i32.const -1)))))
        """;

    public const string Manifest = """
        {"id":"hook","exports":[
          {"name":"hook","args":[{"name":"n","type":"i32"}],"returns":"i32"},
          {"name":"hook_then_spin","args":[{"name":"n","type":"i32"}],"returns":"i32"},
          {"name":"spin","args":[]},
          {"name":"double","args":[{"name":"x","type":"i32"}],"returns":"i32"}],
         "imports":[{"name":"host_hook","args":[{"name":"n","type":"i32"}],"returns":"i32"}]}
        """;

    public static TempPlugin Create() => TempPlugin.FromWat(Wat, Manifest);

    public static Dictionary<string, object?> N(int n) => SamplePlugins.Args(("n", n));
}

/// <summary>The host of <see cref="HookPlugin"/>: <c>host_hook</c> runs <see cref="OnHook"/> (identity when unset).</summary>
internal sealed class HookHost : RecordingHost
{
    public Func<int, int>? OnHook { get; set; }

    protected override void RegisterImports(HostImportRegistry imports) =>
        imports.Add("host_hook", [PluginValueType.I32], [PluginValueType.I32], call =>
        {
            var n = call.GetInt32(0);
            call.ReturnInt32(OnHook is { } hook ? hook(n) : n);
        });
}
