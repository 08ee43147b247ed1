(module
  (import "corral" "spawn" (func (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "corral_on_message") (param i32 i32 i32) (result i32) (i32.const 0)))
