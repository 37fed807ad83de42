(module
  ;; spin 1.0.0 -- benchmark plugin: a stateless, CPU-bound export for the instance pool.
  ;;
  ;;   work(n: i32) -> i32   n steps of a 32-bit linear congruential generator seeded with n; returns the last value.
  ;;
  ;; No memory, no imports, no globals: any instance gives the same answer, so a pool may serve it.
  ;; Loaded as text (logic.wat): no build step.
  ;; (The module form comes first: the kernel's factory reads only the first 64 bytes to tell WAT from other files.)

  (func (export "work") (param $n i32) (result i32)
    (local $x i32)
    (local $i i32)
    (local.set $x (local.get $n))
    (block $done
      (loop $step
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $step)))
    (local.get $x))
)
