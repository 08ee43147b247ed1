(module
  (table $functions 2 funcref)
  (elem (i32.const 0) $zero $one)
  (type $result (func (result i32)))
  (func $zero (result i32) (i32.const 0))
  (func $one (result i32) (i32.const 1))
  (func (export "corral_on_message") (param i32 i32 i32) (result i32)
    (drop (table.grow $functions (ref.null func) (i32.const 16)))
    (call_indirect (type $result) (local.get 0))))
