using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;

namespace Vyra.Sdk.Tests.Bus;

/// <summary>
/// A guest that forwards its exports to the bus imports (<c>publish_to</c>, <c>request_to</c>, <c>subscribe_to</c>,
/// <c>serve_as</c>, <c>notify</c>), floods a topic (<c>flood(n)</c>), and logs every event its <c>on_event</c> receives
/// (so a test waits for a delivery on a signal, not a sleep). <c>on_request</c> echoes the request's data; mode 1 makes
/// the next <c>on_event</c> trap (and <c>on_request</c> always trap), mode 2 makes <c>on_request</c> spin forever.
/// </summary>
internal static class BusPlugin
{
    public static string Wat(bool onEvent = true, bool onRequest = true) => $$"""
        (module
          (import "vyra" "publish" (func $publish (param i32 i32 i32 i32)))
          (import "vyra" "request" (func $request (param i32 i32 i32 i32) (result i64)))
          (import "vyra" "subscribe" (func $subscribe (param i32 i32)))
          (import "vyra" "serve" (func $serve (param i32 i32)))
          (import "vyra" "notify_ui" (func $notify (param i32 i32 i32 i32)))
          (import "vyra" "log" (func $log (param i32 i32)))
          (memory (export "memory") 16)
          (data (i32.const 0) "flood")
          (data (i32.const 16) "1")
          (global $heap (mut i32) (i32.const 4096))
          (global $count (mut i32) (i32.const 0))
          (global $mode (mut i32) (i32.const 0))
          (func (export "vyra_alloc") (param $n i32) (result i32) (local $p i32)
            (if (i32.gt_u (i32.add (global.get $heap) (local.get $n)) (i32.const 1048576)) (then (global.set $heap (i32.const 4096))))
            (local.set $p (global.get $heap))
            (global.set $heap (i32.add (local.get $p) (local.get $n)))
            (local.get $p))
          (func (export "publish_to") (param i32 i32 i32 i32) (call $publish (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
          (func (export "request_to") (param i32 i32 i32 i32) (result i64) (call $request (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
          (func (export "subscribe_to") (param i32 i32) (call $subscribe (local.get 0) (local.get 1)))
          (func (export "serve_as") (param i32 i32) (call $serve (local.get 0) (local.get 1)))
          (func (export "notify") (param i32 i32 i32 i32) (call $notify (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
          (func (export "set_mode") (param i32) (global.set $mode (local.get 0)))
          (func (export "publish_garbage") (param $len i32) (call $publish (i32.const 0) (i32.const 5) (i32.const 0) (local.get $len)))
          (func (export "event_count") (result i32) (global.get $count))
          (func (export "flood") (param $n i32) (result i32) (local $i i32)
            (block $done (loop $next
              (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
              (call $publish (i32.const 0) (i32.const 5) (i32.const 16) (i32.const 1))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $next)))
            (local.get $n))
          {{(onEvent ? """
          (func (export "on_event") (param $np i32) (param $nl i32) (param $dp i32) (param $dl i32)
            (if (i32.eq (global.get $mode) (i32.const 1)) (then (global.set $mode (i32.const 0)) (unreachable)))
            (global.set $count (i32.add (global.get $count) (i32.const 1)))
            (call $log (local.get $np) (local.get $nl))
            (call $log (local.get $dp) (local.get $dl)))
          """ : "")}}
          {{(onRequest ? """
          (func (export "on_request") (param $sp i32) (param $sl i32) (param $dp i32) (param $dl i32) (result i64)
            (if (i32.eq (global.get $mode) (i32.const 1)) (then (unreachable)))
            (if (i32.eq (global.get $mode) (i32.const 2)) (then (loop $forever (br $forever))))
            (i64.or (i64.shl (i64.extend_i32_u (local.get $dp)) (i64.const 32)) (i64.extend_i32_u (local.get $dl))))
          """ : "")}}
        )
        """;

    /// <summary>The manifest: the exports above and <paramref name="interfaces"/> as raw JSON (null: no permissions at all).</summary>
    public static string Manifest(string id, string? interfaces) => $$"""
        {"id":"{{id}}","version":"1.0.0","exports":[
          {"name":"publish_to","args":[{"name":"topic","type":"string"},{"name":"payload","type":"json"}]},
          {"name":"request_to","args":[{"name":"service","type":"string"},{"name":"payload","type":"json"}],"returns":"json"},
          {"name":"subscribe_to","args":[{"name":"topic","type":"string"}]},
          {"name":"serve_as","args":[{"name":"service","type":"string"}]},
          {"name":"notify","args":[{"name":"event","type":"string"},{"name":"data","type":"json"}]},
          {"name":"set_mode","args":[{"name":"mode","type":"i32"}]},
          {"name":"publish_garbage","args":[{"name":"len","type":"i32"}]},
          {"name":"event_count","args":[],"returns":"i32"},
          {"name":"flood","args":[{"name":"n","type":"i32"}],"returns":"i32"}]
          {{(interfaces is null ? "" : $$""","permissions":{"interfaces":{{interfaces}}}""")}}}
        """;

    /// <summary>Every transport on the host's own module (<c>local</c>).</summary>
    public const string AllLocal = """
        [{"transport":"publish","module_name":"local","module_id":null},
         {"transport":"subscribe","module_name":"local","module_id":null},
         {"transport":"server","module_name":"local","module_id":null},
         {"transport":"client","module_name":"local","module_id":null}]
        """;

    public static TempPlugin Create(string id, string? interfaces = AllLocal, bool onEvent = true, bool onRequest = true) =>
        TempPlugin.FromWat(Wat(onEvent, onRequest), Manifest(id, interfaces), id);

    public static Dictionary<string, object?> Args(params (string Key, object? Value)[] pairs) => SamplePlugins.Args(pairs);

    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}

/// <summary>A host on a given bus whose guest log lines arrive in a channel, so a test can await the next one.</summary>
internal sealed class BusHost(IInterfaceFactory bus) : BaseHostFunctions(null, bus)
{
    private readonly Channel<string> _logs = Channel.CreateUnbounded<string>();

    public System.Collections.Concurrent.ConcurrentQueue<(string Event, IReadOnlyDictionary<string, object?> Data)> Notifications { get; } = new();

    public override ValueTask LogAsync(LogLevel level, string message, CancellationToken cancellationToken = default)
    {
        _logs.Writer.TryWrite(message);
        return ValueTask.CompletedTask;
    }

    public override ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default)
    {
        Notifications.Enqueue((eventName, data));
        return ValueTask.CompletedTask;
    }

    /// <summary>The next line the guest logged (on_event logs the topic, then the data), within 15 s.</summary>
    public async Task<string> NextLogAsync()
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        return await _logs.Reader.ReadAsync(bound.Token);
    }

    /// <summary>Whether a line is waiting now (no wait).</summary>
    public bool HasLog => _logs.Reader.TryPeek(out _);
}
