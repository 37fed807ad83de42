;; math-kit 1.0.0 -- exercises every scalar wasm type and a multi-value result.
;;
;;   add_i64(a: i64, b: i64) -> i64        a + b (wraps modulo 2^64)
;;   scale(x: f32, factor: f32) -> f32     x * factor
;;   hypot(a: f64, b: f64) -> f64          sqrt(a*a + b*b) (plain formula, no rescaling)
;;   divmod(a: i32, b: i32) -> (i32, i32)  (a / b, a % b), signed, truncating toward zero;
;;                                         b = 0 traps ("integer divide by zero") and
;;                                         a = -2^31, b = -1 traps ("integer overflow")
;;                                         -- handy for testing trap handling
;;   fib(n: i32) -> i64                    n-th Fibonacci number, iterative; fib(0) = 0,
;;                                         fib(1) = 1, n <= 0 gives 0, wraps past fib(92)
;;
;; No memory, no imports, no state.
;; Rebuild: samples/plugins/build-all.sh  (wat2wasm logic.wat -o logic.wasm)
(module
  (func (export "add_i64") (param $a i64) (param $b i64) (result i64)
    (i64.add (local.get $a) (local.get $b)))

  (func (export "scale") (param $x f32) (param $factor f32) (result f32)
    (f32.mul (local.get $x) (local.get $factor)))

  (func (export "hypot") (param $a f64) (param $b f64) (result f64)
    (f64.sqrt
      (f64.add
        (f64.mul (local.get $a) (local.get $a))
        (f64.mul (local.get $b) (local.get $b)))))

  (func (export "divmod") (param $a i32) (param $b i32) (result i32 i32)
    (i32.div_s (local.get $a) (local.get $b))
    (i32.rem_s (local.get $a) (local.get $b)))

  (func (export "fib") (param $n i32) (result i64)
    (local $prev i64)   ;; fib(i)
    (local $cur i64)    ;; fib(i + 1)
    (local $next i64)
    (local.set $prev (i64.const 0))
    (local.set $cur (i64.const 1))
    (block $done
      (loop $step
        ;; while (n > 0) { (prev, cur) = (cur, prev + cur); n-- }
        (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
        (local.set $next (i64.add (local.get $prev) (local.get $cur)))
        (local.set $prev (local.get $cur))
        (local.set $cur (local.get $next))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $step)))
    (local.get $prev))
)
