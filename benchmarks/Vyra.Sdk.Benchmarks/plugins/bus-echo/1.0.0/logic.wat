;; Benchmark plugin for the bus: subscribe_bench() subscribes to the topic "bench"; on_event(name, data) hands the
;; event's data to the host through the bus import log(msg), which is how the benchmark sees the delivery end.
(module
  (import "vyra" "subscribe" (func $subscribe (param i32 i32)))
  (import "vyra" "log" (func $log (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "bench")
  (global $heap (mut i32) (i32.const 1024))
  ;; A bump allocator that starts over when the first page is used up: arguments live only during one call.
  (func (export "vyra_alloc") (param $n i32) (result i32) (local $p i32)
    (if (i32.gt_u (i32.add (global.get $heap) (local.get $n)) (i32.const 65536)) (then (global.set $heap (i32.const 1024))))
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (local.get $p) (local.get $n)))
    (local.get $p))
  (func (export "subscribe_bench") (call $subscribe (i32.const 0) (i32.const 5)))
  (func (export "on_event") (param $np i32) (param $nl i32) (param $dp i32) (param $dl i32)
    (call $log (local.get $dp) (local.get $dl))))
