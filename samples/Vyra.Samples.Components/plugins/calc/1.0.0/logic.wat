;; The calc component (WIT world sample:calc/calc in wit/calc.wit), written as component text so that no tools are
;; needed: Wasmtime compiles it at start. A record argument arrives flattened (op, a, b, note pointer, note length).
(component
  (type $op-def (enum "add" "sub" "mul"))
  (import "op" (type $op (eq $op-def)))
  (type $request-def (record (field "op" $op) (field "a" s32) (field "b" s32) (field "note" string)))
  (import "request" (type $request (eq $request-def)))
  (import "log" (func $log (param "message" string)))

  ;; Memory and a bump allocator, shared by the host's copies of strings in both directions.
  (core module $mem
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 8192))
    (data (i32.const 2048) "calc 1.0.0")
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $at i32)
      global.get $next local.get 2 i32.add i32.const 1 i32.sub
      i32.const 0 local.get 2 i32.sub i32.and local.tee $at
      local.get 3 i32.add global.set $next local.get $at))
  (core instance $mi (instantiate $mem))
  (core func $log-low (canon lower (func $log) (memory (core memory $mi "mem"))))

  (core module $logic
    (import "host" "log" (func $log (param i32 i32)))
    (import "mem" "mem" (memory 1))
    ;; compute(req): logs the note, then applies the operation.
    (func (export "compute") (param $op i32) (param $a i32) (param $b i32) (param $note i32) (param $len i32) (result i32)
      local.get $note local.get $len call $log
      local.get $op i32.eqz
      if (result i32)
        local.get $a local.get $b i32.add
      else
        local.get $op i32.const 1 i32.eq
        if (result i32)
          local.get $a local.get $b i32.sub
        else
          local.get $a local.get $b i32.mul
        end
      end)
    ;; version(): a string result is returned as a pointer to (address, length).
    (func (export "version") (result i32)
      i32.const 1024 i32.const 2048 i32.store
      i32.const 1028 i32.const 10 i32.store
      i32.const 1024))
  (core instance $host (export "log" (func $log-low)))
  (core instance $mems (export "mem" (memory $mi "mem")))
  (core instance $i (instantiate $logic (with "host" (instance $host)) (with "mem" (instance $mems))))

  (func (export "compute") (param "req" $request) (result s32)
    (canon lift (core func $i "compute") (memory (core memory $mi "mem")) (realloc (core func $mi "realloc"))))
  (func (export "version") (result string)
    (canon lift (core func $i "version") (memory (core memory $mi "mem")) (realloc (core func $mi "realloc"))))
)
