(module
  ;; host-echo 1.0.0 -- benchmark plugin: a 1 KiB string through a host import and back.
  ;;
  ;;   roundtrip() -> i32   passes the 1 KiB string at offset 16 to host_echo(text: string) -> string, frees the
  ;;                        buffer the host returned (bump allocator: the most recent buffer) and returns its length.
  ;;
  ;; Import (module "vyra"): host_echo(text: string) -> string, text as (ptr, len), result (ptr << 32) | len in a
  ;; buffer the host took from vyra_alloc. Memory ABI: memory, vyra_alloc (bump, 8-byte aligned), vyra_free.
  ;; Loaded as text (logic.wat): no build step.
  ;; (The module form comes first: the kernel's factory reads only the first 64 bytes to tell WAT from other files.)

  (import "vyra" "host_echo" (func $host_echo (param i32 i32) (result i64)))

  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 2048))
  (data (i32.const 16) "The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the")

  (func $alloc (export "vyra_alloc") (param $len i32) (result i32)
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

  (func $free (export "vyra_free") (param $ptr i32) (param $len i32)
    (if (i32.eq
          (i32.and (i32.add (i32.add (local.get $ptr) (local.get $len)) (i32.const 7)) (i32.const -8))
          (global.get $heap))
      (then (global.set $heap (local.get $ptr)))))

  (func (export "roundtrip") (result i32)
    (local $packed i64)
    (local $len i32)
    (local.set $packed (call $host_echo (i32.const 16) (i32.const 1024)))
    (local.set $len (i32.wrap_i64 (local.get $packed)))
    (call $free (i32.wrap_i64 (i64.shr_u (local.get $packed) (i64.const 32))) (local.get $len))
    (local.get $len))
)
