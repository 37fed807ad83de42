;; counter-widget 1.0.0 -- a plugin in the classic VYRA style.
;;
;; State lives in a single mutable i32 global; every export takes and
;; returns i32 only, exactly like the plugins the VYRA Python runtime runs.
;; No memory, no imports.
;;
;; Rebuild: samples/plugins/build-all.sh  (wat2wasm logic.wat -o logic.wasm)
(module
  (global $count (mut i32) (i32.const 0))

  ;; init(start) -> start : sets the counter and returns it.
  (func (export "init") (param $start i32) (result i32)
    (global.set $count (local.get $start))
    (global.get $count))

  ;; increment(step) -> new value (wraps modulo 2^32).
  (func (export "increment") (param $step i32) (result i32)
    (global.set $count (i32.add (global.get $count) (local.get $step)))
    (global.get $count))

  ;; reset() -> 0
  (func (export "reset") (result i32)
    (global.set $count (i32.const 0))
    (i32.const 0))

  ;; get_count() -> current value
  (func (export "get_count") (result i32)
    (global.get $count))
)
