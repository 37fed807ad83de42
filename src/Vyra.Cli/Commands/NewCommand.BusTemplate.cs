namespace Vyra.Cli.Commands;

/// <summary>
/// The <c>bus</c> template of <c>vyra new</c>: a plugin that subscribes to a topic and serves a service when it starts
/// (<c>init</c>), publishes on demand, and handles <c>on_event</c> and <c>on_request</c>, with the guest imports of module
/// <c>vyra</c> and the manifest permissions those operations need (docs/bus.md).
/// </summary>
internal static partial class NewCommand
{
    /// <summary>The topics and service the template uses; bare names belong to the host's own module.</summary>
    internal const string BusCommandsTopic = "commands";
    internal const string BusStatusService = "status";
    internal const string BusReadingsTopic = "readings";

    private static string BusManifest(string id, string lang) => $$"""
        {
          "id": "{{id}}",
          "version": "{{Version}}",
          "name": "{{Title(id)}}",
          "description": "A VYRA plugin on the plugin bus ({{(lang == "c" ? "C, vyra.h" : "WebAssembly text")}}): subscribes to '{{BusCommandsTopic}}', serves '{{BusStatusService}}', publishes on '{{BusReadingsTopic}}'.",
          "exports": [
            {
              "name": "init",
              "description": "Subscribe to '{{BusCommandsTopic}}' and serve '{{BusStatusService}}' (runs at start with initial_state).",
              "args": [{ "name": "start", "type": "i32" }],
              "returns": "i32"
            },
            {
              "name": "publish_reading",
              "description": "Publish {\"hello\":\"bus\"} on '{{BusReadingsTopic}}'; returns how many were published.",
              "args": [],
              "returns": "i32"
            },
            {
              "name": "event_count",
              "description": "How many events on_event received.",
              "args": [],
              "returns": "i32"
            }
          ],
          "initial_state": {
            "start": { "type": "i32", "default": 0 }
          },
          "imports": ["log", "publish", "subscribe", "serve"],
          "permissions": {
            "interfaces": [
              { "transport": "publish", "module_name": "local", "module_id": null },
              { "transport": "subscribe", "module_name": "local", "module_id": null },
              { "transport": "server", "module_name": "local", "module_id": null }
            ]
          },
        {{Limits}}
        }

        """;

    private static string BusWatSource(string id) => $$"""
        ;; {{id}} {{Version}} -- scaffolded by `vyra new {{id}} --lang wat --template bus`.
        ;;
        ;; A plugin on the plugin bus (docs/bus.md). Guest imports of module "vyra"; strings and
        ;; json cross as (ptr, len) pairs in this module's memory:
        ;;   log(msg)  publish(topic, payload)  subscribe(topic)  serve(service)
        ;; Events of subscribed topics arrive at on_event(name, data); requests to served services
        ;; at on_request(service, data) -> json, returned as one i64 (ptr << 32) | len.
        ;; Bare topic names belong to the host's own module ("local" unless the host names another):
        ;; metadata.json's permissions.interfaces allow publish, subscribe and server there.
        ;; Rebuild logic.wasm after editing: ./build.sh
        (module
          (import "vyra" "log" (func $log (param i32 i32)))
          (import "vyra" "publish" (func $publish (param i32 i32 i32 i32)))
          (import "vyra" "subscribe" (func $subscribe (param i32 i32)))
          (import "vyra" "serve" (func $serve (param i32 i32)))

          (memory (export "memory") 1)
          (data (i32.const 16) "{{BusCommandsTopic}}")
          (data (i32.const 32) "{{BusStatusService}}")
          (data (i32.const 48) "{{BusReadingsTopic}}")
          (data (i32.const 64) "{\"hello\":\"bus\"}")
          (data (i32.const 96) "bus ready: subscribed to {{BusCommandsTopic}}, serving {{BusStatusService}}")
          (data (i32.const 160) "{\"ok\":true}")

          (global $heap (mut i32) (i32.const 1024))
          (global $total (mut i32) (i32.const 0))
          (global $events (mut i32) (i32.const 0))
          (global $published (mut i32) (i32.const 0))

          ;; vyra_alloc(len) -> ptr: a bump allocator (enough for a template; vyra.h has a real one).
          ;; 0 when len is negative or memory cannot grow.
          (func $alloc (export "vyra_alloc") (param $len i32) (result i32)
            (local $p i32) (local $end i32) (local $size i32)
            (if (i32.lt_s (local.get $len) (i32.const 0)) (then (return (i32.const 0))))
            (local.set $p (global.get $heap))
            (local.set $end (i32.and (i32.add (i32.add (local.get $p) (local.get $len)) (i32.const 7)) (i32.const -8)))
            (if (i32.lt_u (local.get $end) (local.get $p)) (then (return (i32.const 0))))
            (local.set $size (i32.shl (memory.size) (i32.const 16)))
            (if (i32.gt_u (local.get $end) (local.get $size))
              (then
                (if (i32.eq (memory.grow (i32.shr_u (i32.add (i32.sub (local.get $end) (local.get $size)) (i32.const 65535)) (i32.const 16)))
                            (i32.const -1))
                  (then (return (i32.const 0))))))
            (global.set $heap (local.get $end))
            (local.get $p))

          ;; vyra_free(ptr, len): gives the block back when it is the last one allocated.
          (func (export "vyra_free") (param $p i32) (param $len i32)
            (if (i32.eq (i32.and (i32.add (i32.add (local.get $p) (local.get $len)) (i32.const 7)) (i32.const -8)) (global.get $heap))
              (then (global.set $heap (local.get $p)))))

          ;; Gives back the two argument buffers of a handler (the host allocated them last).
          (func $release (param $a i32) (param $b i32)
            (local $m i32)
            (local.set $m (global.get $heap))
            (if (i32.and (i32.ge_u (local.get $a) (i32.const 1024)) (i32.lt_u (local.get $a) (local.get $m))) (then (local.set $m (local.get $a))))
            (if (i32.and (i32.ge_u (local.get $b) (i32.const 1024)) (i32.lt_u (local.get $b) (local.get $m))) (then (local.set $m (local.get $b))))
            (global.set $heap (local.get $m)))

          ;; init(start) -> start : runs at start (initial_state "start"): subscribe and serve.
          (func (export "init") (param $start i32) (result i32)
            (global.set $total (local.get $start))
            (call $subscribe (i32.const 16) (i32.const {{BusCommandsTopic.Length}}))
            (call $serve (i32.const 32) (i32.const {{BusStatusService.Length}}))
            (call $log (i32.const 96) (i32.const {{("bus ready: subscribed to " + BusCommandsTopic + ", serving " + BusStatusService).Length}}))
            (local.get $start))

          ;; publish_reading() -> how many readings were published
          (func (export "publish_reading") (result i32)
            (call $publish (i32.const 48) (i32.const {{BusReadingsTopic.Length}}) (i32.const 64) (i32.const 15))
            (global.set $published (i32.add (global.get $published) (i32.const 1)))
            (global.get $published))

          ;; event_count() -> how many events arrived
          (func (export "event_count") (result i32)
            (global.get $events))

          ;; on_event(name: string, data: json): count the event and log its data.
          (func (export "on_event") (param $name i32) (param $name_len i32) (param $data i32) (param $data_len i32)
            (global.set $events (i32.add (global.get $events) (i32.const 1)))
            (call $log (local.get $data) (local.get $data_len))
            (call $release (local.get $name) (local.get $data)))

          ;; on_request(service: string, data: json) -> json : the reply's data, {"ok":true}.
          (func (export "on_request") (param $service i32) (param $service_len i32) (param $data i32) (param $data_len i32) (result i64)
            (local $p i32)
            (call $release (local.get $service) (local.get $data))
            (local.set $p (call $alloc (i32.const 11)))
            (if (i32.eqz (local.get $p)) (then unreachable))
            (memory.copy (local.get $p) (i32.const 160) (i32.const 11))
            (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32)) (i64.const 11)))
        )

        """;

    private static string BusCSource(string id) => $$"""
        /*
         * {{id}} {{Version}} -- scaffolded by `vyra new {{id}} --lang c --template bus`.
         *
         * A plugin on the plugin bus (docs/bus.md; vyra.h, "The plugin bus"):
         *  - init subscribes to "{{BusCommandsTopic}}" and serves "{{BusStatusService}}" when the plugin starts;
         *  - publish_reading publishes a JSON payload on "{{BusReadingsTopic}}";
         *  - events of "{{BusCommandsTopic}}" arrive at on_event, requests to "{{BusStatusService}}" at on_request.
         * Bare names belong to the host's own module ("local" unless the host names another):
         * metadata.json's permissions.interfaces allow publish, subscribe and server there. Add
         * { "transport": "client", ... } before using vyra_request.
         *
         * Build: ./build.sh   (clang-14 + lld-14)
         */
        #define VYRA_IMPLEMENTATION
        #include "vyra.h"

        static int32_t g_total;
        static int32_t g_events;
        static int32_t g_published;

        /* init(start: i32) -> i32 : runs at start with the initial_state. */
        VYRA_EXPORT(init)
        int32_t init(int32_t start)
        {
            g_total = start;
            vyra_subscribe_cstr("{{BusCommandsTopic}}");
            vyra_serve_cstr("{{BusStatusService}}");
            vyra_log_cstr("bus ready: subscribed to {{BusCommandsTopic}}, serving {{BusStatusService}}");
            return start;
        }

        /* publish_reading() -> i32 : how many readings were published. */
        VYRA_EXPORT(publish_reading)
        int32_t publish_reading(void)
        {
            vyra_publish_cstr("{{BusReadingsTopic}}", "{\"hello\":\"bus\"}");
            return ++g_published;
        }

        /* event_count() -> i32 */
        VYRA_EXPORT(event_count)
        int32_t event_count(void)
        {
            return g_events;
        }

        /* Events of subscribed topics: name is the topic as subscribed, data its JSON. */
        VYRA_ON_EVENT(name, name_len, data, data_len)
        {
            g_events++;
            if (vyra_text_equals(name, name_len, "{{BusCommandsTopic}}"))
                vyra_log(data, data_len);
        }

        /* Requests to served services: the return value is the reply's data (JSON). */
        VYRA_ON_REQUEST(service, service_len, data, data_len)
        {
            (void)data;
            (void)data_len;
            if (vyra_text_equals(service, service_len, "{{BusStatusService}}"))
                return vyra_return_cstring("{\"ok\":true}");
            return vyra_return_cstring("{\"ok\":false}");
        }

        """;
}
