;; Counter agent: keeps a signed 64-bit counter for its whole life.
;;
;;   add <decimal>  adds the value, and a request gets the new value
;;   get            a request gets the value, and one-way is ignored
;;
;; Replies carry the value in decimal.
;;
;; A decimal is an optional "-" followed by ASCII digits, at most 32 bytes,
;; in the range of a signed 64-bit integer. The handler returns 1 without
;; changing the counter for an invalid decimal, for an add whose result
;; would leave that range, and for an unknown topic. For a request the host
;; turns the 1 into a failure at the requester. Signals (one-way topics
;; that start with "$") are ignored. The host ABI is described in
;; docs/wasm-abi.md.
(module
  (import "corral" "message_topic"
    (func $message_topic (param $dst i32) (param $cap i32) (result i32)))
  (import "corral" "message_payload"
    (func $message_payload (param $dst i32) (param $cap i32) (result i32)))
  (import "corral" "reply"
    (func $reply (param $ptr i32) (param $len i32) (result i32)))

  ;; Memory layout: topic at 0..15, payload at 16..47, and reply text built
  ;; backwards from 80 (the longest value, "-9223372036854775808", takes 20
  ;; bytes).
  (memory (export "memory") 1)
  (global $topic_buffer i32 (i32.const 0))
  (global $topic_capacity i32 (i32.const 16))
  (global $payload_buffer i32 (i32.const 16))
  (global $payload_capacity i32 (i32.const 32))
  (global $text_end i32 (i32.const 80))

  (global $kind_one_way i32 (i32.const 0))
  (global $kind_request i32 (i32.const 1))

  ;; The first three topic bytes read as a little-endian i32, so one
  ;; comparison matches a whole topic.
  (global $topic_add i32 (i32.const 0x646461)) ;; "add"
  (global $topic_get i32 (i32.const 0x746567)) ;; "get"

  (global $count (mut i64) (i64.const 0))

  ;; The value of the last successful $parse_decimal. A global instead of a
  ;; second result keeps the module free of the multi-value feature.
  (global $parsed (mut i64) (i64.const 0))

  ;; Parses len bytes at ptr as a signed decimal into $parsed. Returns 1 on
  ;; success and 0 for an empty text, a non-digit or a value out of range.
  (func $parse_decimal (param $ptr i32) (param $len i32) (result i32)
    (local $end i32)
    (local $negative i32)
    (local $digit i32)
    (local $magnitude i64)

    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (if (i32.eqz (local.get $len))
      (then (return (i32.const 0))))
    (if (i32.eq (i32.load8_u (local.get $ptr)) (i32.const 0x2d)) ;; "-"
      (then
        (local.set $negative (i32.const 1))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))))
    (if (i32.eq (local.get $ptr) (local.get $end))
      (then (return (i32.const 0))))

    (loop $digits
      (local.set $digit
        (i32.sub (i32.load8_u (local.get $ptr)) (i32.const 0x30))) ;; "0"
      ;; Bytes below "0" wrap to large unsigned values, so one unsigned
      ;; comparison rejects every non-digit.
      (if (i32.gt_u (local.get $digit) (i32.const 9))
        (then (return (i32.const 0))))
      ;; Above this bound the magnitude times 10 exceeds 2^63, which no
      ;; i64 reaches. At or below it, times 10 plus 9 still fits in 64
      ;; unsigned bits, so the step below cannot wrap.
      (if (i64.gt_u (local.get $magnitude) (i64.const 922337203685477580))
        (then (return (i32.const 0))))
      (local.set $magnitude
        (i64.add (i64.mul (local.get $magnitude) (i64.const 10))
                 (i64.extend_i32_u (local.get $digit))))
      (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
      (br_if $digits (i32.lt_u (local.get $ptr) (local.get $end))))

    ;; The magnitude may be 2^63 - 1, or 2^63 only for a negative value.
    (if (i64.gt_u (local.get $magnitude)
                  (i64.add (i64.const 0x7fffffffffffffff)
                           (i64.extend_i32_u (local.get $negative))))
      (then (return (i32.const 0))))
    (if (local.get $negative)
      (then
        ;; 0 - 2^63 wraps to the i64 minimum, which is the intended value.
        (global.set $parsed (i64.sub (i64.const 0) (local.get $magnitude))))
      (else
        (global.set $parsed (local.get $magnitude))))
    (i32.const 1))

  ;; Writes value in decimal so that it ends at $text_end, and returns the
  ;; address of its first byte.
  (func $format_decimal (param $value i64) (result i32)
    (local $pos i32)
    (local $magnitude i64)

    (local.set $pos (global.get $text_end))
    ;; Unsigned arithmetic on 0 - value gives the right magnitude even for
    ;; the i64 minimum, whose negation does not fit in an i64.
    (local.set $magnitude (local.get $value))
    (if (i64.lt_s (local.get $value) (i64.const 0))
      (then (local.set $magnitude (i64.sub (i64.const 0) (local.get $value)))))

    (loop $digits
      (local.set $pos (i32.sub (local.get $pos) (i32.const 1)))
      (i64.store8 (local.get $pos)
        (i64.add (i64.const 0x30) (i64.rem_u (local.get $magnitude) (i64.const 10))))
      (local.set $magnitude (i64.div_u (local.get $magnitude) (i64.const 10)))
      (br_if $digits (i64.ne (local.get $magnitude) (i64.const 0))))

    (if (i64.lt_s (local.get $value) (i64.const 0))
      (then
        (local.set $pos (i32.sub (local.get $pos) (i32.const 1)))
        (i32.store8 (local.get $pos) (i32.const 0x2d))))
    (local.get $pos))

  ;; Replies to the current request with the counter in decimal. Returns 0,
  ;; or 1 when the host rejected the reply.
  (func $reply_count (result i32)
    (local $start i32)

    (local.set $start (call $format_decimal (global.get $count)))
    (if (i32.lt_s
          (call $reply (local.get $start)
                       (i32.sub (global.get $text_end) (local.get $start)))
          (i32.const 0))
      (then (return (i32.const 1))))
    (i32.const 0))

  (func $add (param $kind i32) (param $payload_len i32) (result i32)
    (local $sum i64)

    (if (i32.gt_u (local.get $payload_len) (global.get $payload_capacity))
      (then (return (i32.const 1))))
    (drop (call $message_payload (global.get $payload_buffer)
                                 (global.get $payload_capacity)))
    (if (i32.eqz (call $parse_decimal (global.get $payload_buffer)
                                      (local.get $payload_len)))
      (then (return (i32.const 1))))

    ;; A signed add overflowed when the sum's sign differs from the signs of
    ;; both operands.
    (local.set $sum (i64.add (global.get $count) (global.get $parsed)))
    (if (i64.lt_s
          (i64.and (i64.xor (global.get $count) (local.get $sum))
                   (i64.xor (global.get $parsed) (local.get $sum)))
          (i64.const 0))
      (then (return (i32.const 1))))
    (global.set $count (local.get $sum))

    (if (i32.eq (local.get $kind) (global.get $kind_request))
      (then (return (call $reply_count))))
    (i32.const 0))

  (func (export "corral_on_message")
    (param $kind i32) (param $topic_len i32) (param $payload_len i32)
    (result i32)
    (local $topic i32)

    ;; Kinds 2 and 3 answer requests that this agent never sends.
    (if (i32.gt_u (local.get $kind) (global.get $kind_request))
      (then (return (i32.const 0))))

    (drop (call $message_topic (global.get $topic_buffer)
                               (global.get $topic_capacity)))
    (if (i32.eq (local.get $topic_len) (i32.const 3))
      (then
        (local.set $topic
          (i32.and (i32.load (global.get $topic_buffer))
                   (i32.const 0xffffff)))
        (if (i32.eq (local.get $topic) (global.get $topic_add))
          (then (return (call $add (local.get $kind) (local.get $payload_len)))))
        (if (i32.eq (local.get $topic) (global.get $topic_get))
          (then
            (if (i32.eq (local.get $kind) (global.get $kind_request))
              (then (return (call $reply_count))))
            (return (i32.const 0))))))

    (if (i32.and
          (i32.eq (local.get $kind) (global.get $kind_one_way))
          (i32.and
            (i32.gt_u (local.get $topic_len) (i32.const 0))
            (i32.eq (i32.load8_u (global.get $topic_buffer)) (i32.const 0x24)))) ;; "$"
      (then (return (i32.const 0))))
    (i32.const 1)))
