;; thermo-sensor: publishes readings on the topic "readings" and serves "calibration". Like real VYRA plugins it
;; exports only i32 functions (the upstream manifest allows no other types); JSON lives in its own memory.
;; Bus imports from module "vyra" (docs/bus.md "Guest imports"); strings and json are (ptr, len) in this memory.
(module
  (import "vyra" "publish" (func $publish (param i32 i32 i32 i32)))
  (import "vyra" "serve" (func $serve (param i32 i32)))
  (import "vyra" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "readings")
  (data (i32.const 16) "calibration")
  (data (i32.const 32) "{\"offset\":-0.5}")
  (data (i32.const 64) "serving calibration")
  ;; Three readings of 16 bytes each at 128, 144, 160.
  (data (i32.const 128) "{\"celsius\":21.5}{\"celsius\":22.0}{\"celsius\":22.5}")
  (global $heap (mut i32) (i32.const 1024))
  ;; A bump allocator that starts over when the page is used up: host-written arguments live only during one call.
  (func (export "vyra_alloc") (param $n i32) (result i32) (local $p i32)
    (if (i32.gt_u (i32.add (global.get $heap) (local.get $n)) (i32.const 65536)) (then (global.set $heap (i32.const 1024))))
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (local.get $p) (local.get $n)))
    (local.get $p))
  (func (export "start")
    (call $serve (i32.const 16) (i32.const 11))
    (call $log (i32.const 64) (i32.const 19)))
  ;; publish_reading(index) publishes reading index (0..2) on "readings".
  (func (export "publish_reading") (param $index i32)
    (if (i32.gt_u (local.get $index) (i32.const 2)) (then (unreachable)))
    (call $publish (i32.const 0) (i32.const 8)
      (i32.add (i32.const 128) (i32.mul (local.get $index) (i32.const 16))) (i32.const 16)))
  ;; on_request(service, data) -> json: the reply's data, {"offset":-0.5} at 32 (15 bytes), as (ptr << 32) | len.
  (func (export "on_request") (param i32 i32 i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 32) (i64.const 32)) (i64.const 15))))
