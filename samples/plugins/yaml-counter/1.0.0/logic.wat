;; yaml-counter 1.0.0 -- a plugin in upstream VYRA's format: it ships only
;; manifest.yaml (exports under entry_points.backend.exports), no metadata.json.
;;
;; A counter in an i32 global plus a running i64 total of every step added;
;; numbers only (the upstream schema allows i32, i64, f32, f64 arguments).
;;
;; Rebuild: samples/plugins/build-all.sh  (wat2wasm logic.wat -o logic.wasm)
(module
  (global $count (mut i32) (i32.const 0))
  (global $total (mut i64) (i64.const 0))

  ;; init(start) -> start : sets the counter and returns it.
  (func (export "init") (param $start i32) (result i32)
    (global.set $count (local.get $start))
    (global.get $count))

  ;; add(step) -> new value; the step also goes into the running total.
  (func (export "add") (param $step i32) (result i32)
    (global.set $total (i64.add (global.get $total) (i64.extend_i32_s (local.get $step))))
    (global.set $count (i32.add (global.get $count) (local.get $step)))
    (global.get $count))

  ;; total() -> the sum of every step added since start (i64).
  (func (export "total") (result i64)
    (global.get $total))

  ;; scaled(factor) -> counter * factor (f64).
  (func (export "scaled") (param $factor f64) (result f64)
    (f64.mul (f64.convert_i32_s (global.get $count)) (local.get $factor)))
)
