using Vyra.Sdk;

namespace Vyra.Sdk.Tests.Serving;

/// <summary>
/// The guest the lease tests share: <c>tick</c> counts the calls that ran and flags any that overlapped another,
/// <c>count</c> and <c>overlaps</c> read them back, so exclusivity and "no turn lost, none run twice" are checked exactly.
/// <para>
/// The busy window is straight-line code: Wasmtime checks for an interruption only at function entry and at loop
/// back-edges, so a call cancelled while it runs is interrupted before it raised the flag, never inside the window.
/// (With a loop inside the window, a cancellation that landed mid-loop left the flag raised, and the next call counted
/// an overlap that never happened.) The window is 200 dependent additions long; <c>n</c> is only their operand.
/// </para>
/// </summary>
internal static class CountingGuest
{
    public static readonly string Wat = """
        (module
          (global $count (mut i32) (i32.const 0))
          (global $busy (mut i32) (i32.const 0))
          (global $overlaps (mut i32) (i32.const 0))
          (global $scratch (mut i32) (i32.const 0))
          (func (export "tick") (param $n i32) (result i32)
            (if (global.get $busy) (then (global.set $overlaps (i32.add (global.get $overlaps) (i32.const 1)))))
            (global.set $busy (i32.const 1))
        """ + string.Concat(Enumerable.Repeat("    (global.set $scratch (i32.add (global.get $scratch) (local.get $n)))\n", 200)) + """
            (global.set $count (i32.add (global.get $count) (i32.const 1)))
            (global.set $busy (i32.const 0))
            (global.get $count))
          (func (export "count") (result i32) (global.get $count))
          (func (export "overlaps") (result i32) (global.get $overlaps)))
        """;

    /// <summary>The manifest of the guest above, under plugin id <paramref name="id"/>.</summary>
    public static string Manifest(string id) => $$"""
        {"id":"{{id}}","exports":[
          {"name":"tick","args":[{"name":"n","type":"i32"}],"returns":"i32"},
          {"name":"count","args":[],"returns":"i32"},
          {"name":"overlaps","args":[],"returns":"i32"}]}
        """;

    /// <summary>
    /// A typed call as generated proxies make it: the bound delegate is Wasmtime's own, so a cancellation that lands
    /// while the guest runs surfaces from it as Wasmtime's exception, which <see cref="GuestCall{TDelegate}.Fail"/>
    /// turns into the call's <see cref="PluginCallException"/> (here <see cref="PluginErrorKind.Cancelled"/>).
    /// </summary>
    public static int Tick(in GuestCall<Func<int, int>> call, int n)
    {
        try
        {
            return call.Function(n);
        }
        catch (Exception ex)
        {
            throw call.Fail(ex);
        }
    }
}
