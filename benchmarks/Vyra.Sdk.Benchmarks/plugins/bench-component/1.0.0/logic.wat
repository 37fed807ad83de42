;; The component of the component-call benchmarks (wit/bench.wit): add(a, b), and measure(item), which returns the
;; name's length plus the number of values (the record arrives flattened: name pointer, length, values pointer, count).
(component
  (type $item-def (record (field "name" string) (field "values" (list u32))))
  (import "item" (type $item (eq $item-def)))
  (core module $m
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 1024))
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
    (func (export "measure") (param i32 i32 i32 i32) (result i32)
      ;; every call allocates afresh: start over, nothing outlives a call
      i32.const 1024 global.set $next
      local.get 1 local.get 3 i32.add)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $at i32)
      global.get $next local.get 2 i32.add i32.const 1 i32.sub
      i32.const 0 local.get 2 i32.sub i32.and local.tee $at
      local.get 3 i32.add global.set $next local.get $at))
  (core instance $i (instantiate $m))
  (func (export "add") (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "add")))
  (func (export "measure") (param "item" $item) (result u32)
    (canon lift (core func $i "measure") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
)
