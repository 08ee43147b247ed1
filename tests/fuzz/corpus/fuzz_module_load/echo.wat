;; Echo agent: replies to every request with the request's payload and
;; ignores one-way messages, signals, replies and failures.
;;
;; The host ABI is described in docs/wasm-abi.md. This module imports only
;; the two host functions it calls, so it also runs under a
;; capabilities.host_functions list of "corral.message_payload" and
;; "corral.reply".
(module
  (import "corral" "message_payload"
    (func $message_payload (param $dst i32) (param $cap i32) (result i32)))
  (import "corral" "reply"
    (func $reply (param $ptr i32) (param $len i32) (result i32)))

  ;; One page covers small payloads without growing. Larger payloads grow
  ;; the memory on demand, up to the agent's memory_bytes limit.
  (memory (export "memory") 1)

  (global $kind_request i32 (i32.const 1))
  (global $page_bytes i32 (i32.const 65536))

  ;; Returns 0 when the message was handled and 1 when the memory could not
  ;; grow to hold the payload or the reply was rejected.
  (func (export "corral_on_message")
    (param $kind i32) (param $topic_len i32) (param $payload_len i32)
    (result i32)
    (local $pages_needed i32)

    (if (i32.ne (local.get $kind) (global.get $kind_request))
      (then (return (i32.const 0))))

    ;; The payload is copied to offset 0, so the memory must hold
    ;; payload_len bytes. The host caps payloads at 16 MiB, so the page
    ;; count cannot overflow.
    (local.set $pages_needed
      (i32.div_u
        (i32.add (local.get $payload_len)
                 (i32.sub (global.get $page_bytes) (i32.const 1)))
        (global.get $page_bytes)))
    (if (i32.gt_u (local.get $pages_needed) (memory.size))
      (then
        (if (i32.eq
              (memory.grow (i32.sub (local.get $pages_needed) (memory.size)))
              (i32.const -1))
          (then (return (i32.const 1))))))

    (drop (call $message_payload (i32.const 0) (local.get $payload_len)))
    (if (i32.lt_s (call $reply (i32.const 0) (local.get $payload_len))
                  (i32.const 0))
      (then (return (i32.const 1))))
    (i32.const 0)))
