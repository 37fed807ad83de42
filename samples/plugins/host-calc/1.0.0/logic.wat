;; host-calc 1.0.0 -- a plugin that calls back into its host through custom host functions.
;;
;;   add(a: i32, b: i32) -> i32          host_add(a, b), computed by the host
;;   sum_to(n: i32) -> i32               1 + 2 + ... + n, one host_add call per step (n <= 0 gives 0)
;;   lookup(key: string) -> string       host_lookup(key): the host's answer, passed back unchanged
;;
;; Imports (module "vyra"), declared with types in metadata.json "imports":
;;   host_add(a: i32, b: i32) -> i32
;;   host_lookup(key: string) -> string  key as (ptr, len); the result comes back as (ptr << 32) | len
;;                                       in a buffer the host took from vyra_alloc
;;
;; Memory ABI (DESIGN 3): exports memory, vyra_alloc (bump allocator, 8-byte aligned) and vyra_free
;; (gives back the most recent buffer, which is how the host frees arguments and results in order).
;; Rebuild: samples/plugins/build-all.sh  (wat2wasm logic.wat -o logic.wasm)
(module
  (import "vyra" "host_add" (func $host_add (param i32 i32) (result i32)))
  (import "vyra" "host_lookup" (func $host_lookup (param i32 i32) (result i64)))

  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))

  ;; vyra_alloc(len) -> ptr : bump allocation; grows memory when needed, traps when it cannot.
  (func (export "vyra_alloc") (param $len i32) (result i32)
    (local $ptr i32)
    (local $end i32)
    (local $have i32)
    (if (i32.lt_s (local.get $len) (i32.const 0)) (then unreachable))
    (local.set $ptr (global.get $heap))
    (local.set $end
      (i32.and (i32.add (i32.add (local.get $ptr) (local.get $len)) (i32.const 7)) (i32.const -8)))
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end) (local.get $have)) (i32.const 16)) (i32.const 1)))
              (i32.const -1))
          (then unreachable))))
    (global.set $heap (local.get $end))
    (local.get $ptr))

  ;; vyra_free(ptr, len) : releases the buffer when it is the most recent one (stack discipline).
  (func (export "vyra_free") (param $ptr i32) (param $len i32)
    (if (i32.eq
          (i32.and (i32.add (i32.add (local.get $ptr) (local.get $len)) (i32.const 7)) (i32.const -8))
          (global.get $heap))
      (then (global.set $heap (local.get $ptr)))))

  (func (export "add") (param $a i32) (param $b i32) (result i32)
    (call $host_add (local.get $a) (local.get $b)))

  (func (export "sum_to") (param $n i32) (result i32)
    (local $i i32)
    (local $acc i32)
    (local.set $i (i32.const 1))
    (block $done
      (loop $step
        (br_if $done (i32.gt_s (local.get $i) (local.get $n)))
        (local.set $acc (call $host_add (local.get $acc) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $step)))
    (local.get $acc))

  (func (export "lookup") (param $ptr i32) (param $len i32) (result i64)
    (call $host_lookup (local.get $ptr) (local.get $len)))
)
