// libFuzzer target for the host ABI. A fixed guest calls the `corral` and
// WASI imports with pointers, lengths and codes taken from the input. So
// ranges of every kind reach the host's checks: inside linear memory, past
// its end, and wrapping past 2^32.
//
// The input is the payload of one request. The guest copies it to offset
// 0x8000 of its memory and reads it as a list of records:
//
//   op (1 byte)  arg0 (u32 LE)  arg1 (u32 LE)  ...
//
// `op` modulo 29 selects the import (see the table in the WAT below), and
// the record has exactly as many arguments as that import takes. A record
// cut short by the end of the input reads the missing arguments from the
// memory after the input. Op 28 grows the memory by arg0 pages, so that
// host checks also run against a memory that grew or exceeded the limit.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "actors/error.hpp"
#include "backends/wasm/module_cache.hpp"
#include "backends/wasm/wasm_instance.hpp"
#include "tests/fuzz/fuzz_env.hpp"

namespace {

using namespace corral;
using namespace corral::wasm;

const char* guest_wat = R"wat(
(module
  (import "corral" "message_topic" (func $message_topic (param i32 i32) (result i32)))
  (import "corral" "message_payload" (func $message_payload (param i32 i32) (result i32)))
  (import "corral" "message_sender" (func $message_sender (param i32 i32) (result i32)))
  (import "corral" "message_correlation" (func $message_correlation (result i64)))
  (import "corral" "reply" (func $reply (param i32 i32) (result i32)))
  (import "corral" "send" (func $send (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "corral" "request" (func $request (param i32 i32 i32 i32 i32 i32 i32) (result i64)))
  (import "corral" "publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (import "corral" "broadcast" (func $broadcast (param i32 i32 i32 i32) (result i32)))
  (import "corral" "subscribe" (func $subscribe (param i32 i32) (result i32)))
  (import "corral" "unsubscribe" (func $unsubscribe (param i32 i32) (result i32)))
  (import "corral" "log" (func $log (param i32 i32 i32)))
  (import "corral" "self_pid" (func $self_pid (result i64)))
  (import "corral" "self_id" (func $self_id (param i32 i32) (result i32)))
  (import "corral" "now_ms" (func $now_ms (result i64)))
  (import "corral" "monotonic_ns" (func $monotonic_ns (result i64)))
  (import "corral" "exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_res_get" (func $clock_res_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $sched_yield (result i32)))

  (memory (export "memory") 1)

  ;; The records live in the upper half of the first page. The capacity
  ;; leaves room after the last record for the 29 bytes that the longest
  ;; record (request) reads, so reading arguments never traps.
  (global $records i32 (i32.const 0x8000))
  (global $records_capacity i32 (i32.const 0x7f00))
  (global $cursor (mut i32) (i32.const 0))

  ;; Returns argument $index of the record at $cursor.
  (func $arg (param $index i32) (result i32)
    (i32.load
      (i32.add (global.get $cursor)
               (i32.add (i32.const 1) (i32.shl (local.get $index) (i32.const 2))))))

  ;; One function per op: each calls its import, drops the result and
  ;; returns the number of arguments it read.
  (type $op (func (result i32)))
  (table 29 funcref)
  (elem (i32.const 0)
    $op_message_topic $op_message_payload $op_message_sender
    $op_message_correlation $op_reply $op_send $op_request $op_publish
    $op_broadcast $op_subscribe $op_unsubscribe $op_log $op_self_pid
    $op_self_id $op_now_ms $op_monotonic_ns $op_exit $op_args_get
    $op_args_sizes_get $op_environ_get $op_environ_sizes_get
    $op_clock_res_get $op_clock_time_get $op_fd_write $op_fd_fdstat_get
    $op_random_get $op_proc_exit $op_sched_yield $op_memory_grow)

  (func $op_message_topic (type $op)
    (drop (call $message_topic (call $arg (i32.const 0)) (call $arg (i32.const 1))))
    (i32.const 2))
  (func $op_message_payload (type $op)
    (drop (call $message_payload (call $arg (i32.const 0)) (call $arg (i32.const 1))))
    (i32.const 2))
  (func $op_message_sender (type $op)
    (drop (call $message_sender (call $arg (i32.const 0)) (call $arg (i32.const 1))))
    (i32.const 2))
  (func $op_message_correlation (type $op)
    (drop (call $message_correlation))
    (i32.const 0))
  (func $op_reply (type $op)
    (drop (call $reply (call $arg (i32.const 0)) (call $arg (i32.const 1))))
    (i32.const 2))
  (func $op_send (type $op)
    (drop (call $send
      (call $arg (i32.const 0)) (call $arg (i32.const 1))
      (call $arg (i32.const 2)) (call $arg (i32.const 3))
      (call $arg (i32.const 4)) (call $arg (i32.const 5))))
    (i32.const 6))
  (func $op_request (type $op)
    (drop (call $request
      (call $arg (i32.const 0)) (call $arg (i32.const 1))
      (call $arg (i32.const 2)) (call $arg (i32.const 3))
      (call $arg (i32.const 4)) (call $arg (i32.const 5))
      (call $arg (i32.const 6))))
    (i32.const 7))
  (func $op_publish (type $op)
    (drop (call $publish
      (call $arg (i32.const 0)) (call $arg (i32.const 1))
      (call $arg (i32.const 2)) (call $arg (i32.const 3))))
    (i32.const 4))
  (func $op_broadcast (type $op)
    (drop (call $broadcast
      (call $arg (i32.const 0)) (call $arg (i32.const 1))
      (call $arg (i32.const 2)) (call $arg (i32.const 3))))
    (i32.const 4))
  (func $op_subscribe (type $op)
    (drop (call $subscribe (call $arg (i32.const 0)) (call $arg (i32.const 1))))
    (i32.const 2))
  (func $op_unsubscribe (type $op)
    (drop (call $unsubscribe (call $arg (i32.const 0)) (call $arg (i32.const 1))))
    (i32.const 2))
  (func $op_log (type $op)
    (call $log (call $arg (i32.const 0)) (call $arg (i32.const 1))
               (call $arg (i32.const 2)))
    (i32.const 3))
  (func $op_self_pid (type $op)
    (drop (call $self_pid))
    (i32.const 0))
  (func $op_self_id (type $op)
    (drop (call $self_id (call $arg (i32.const 0)) (call $arg (i32.const 1))))
    (i32.const 2))
  (func $op_now_ms (type $op)
    (drop (call $now_ms))
    (i32.const 0))
  (func $op_monotonic_ns (type $op)
    (drop (call $monotonic_ns))
    (i32.const 0))
  (func $op_exit (type $op)
    (call $exit (call $arg (i32.const 0)))
    (i32.const 1))
  (func $op_args_get (type $op)
    (drop (call $args_get (call $arg (i32.const 0)) (call $arg (i32.const 1))))
    (i32.const 2))
  (func $op_args_sizes_get (type $op)
    (drop (call $args_sizes_get (call $arg (i32.const 0)) (call $arg (i32.const 1))))
    (i32.const 2))
  (func $op_environ_get (type $op)
    (drop (call $environ_get (call $arg (i32.const 0)) (call $arg (i32.const 1))))
    (i32.const 2))
  (func $op_environ_sizes_get (type $op)
    (drop (call $environ_sizes_get (call $arg (i32.const 0)) (call $arg (i32.const 1))))
    (i32.const 2))
  (func $op_clock_res_get (type $op)
    (drop (call $clock_res_get (call $arg (i32.const 0)) (call $arg (i32.const 1))))
    (i32.const 2))
  ;; The precision is an i64; the record holds its low 32 bits.
  (func $op_clock_time_get (type $op)
    (drop (call $clock_time_get (call $arg (i32.const 0))
                                (i64.extend_i32_u (call $arg (i32.const 1)))
                                (call $arg (i32.const 2))))
    (i32.const 3))
  (func $op_fd_write (type $op)
    (drop (call $fd_write
      (call $arg (i32.const 0)) (call $arg (i32.const 1))
      (call $arg (i32.const 2)) (call $arg (i32.const 3))))
    (i32.const 4))
  (func $op_fd_fdstat_get (type $op)
    (drop (call $fd_fdstat_get (call $arg (i32.const 0)) (call $arg (i32.const 1))))
    (i32.const 2))
  (func $op_random_get (type $op)
    (drop (call $random_get (call $arg (i32.const 0)) (call $arg (i32.const 1))))
    (i32.const 2))
  (func $op_proc_exit (type $op)
    (call $proc_exit (call $arg (i32.const 0)))
    (i32.const 1))
  (func $op_sched_yield (type $op)
    (drop (call $sched_yield))
    (i32.const 0))
  (func $op_memory_grow (type $op)
    (drop (memory.grow (call $arg (i32.const 0))))
    (i32.const 1))

  ;; Copies the payload to $records and runs its records in order.
  (func (export "corral_on_message")
    (param $kind i32) (param $topic_len i32) (param $payload_len i32)
    (result i32)
    (local $end i32)

    (drop (call $message_payload (global.get $records)
                                 (global.get $records_capacity)))
    (local.set $end
      (i32.add (global.get $records)
        (select (local.get $payload_len) (global.get $records_capacity)
                (i32.lt_u (local.get $payload_len)
                          (global.get $records_capacity)))))
    (global.set $cursor (global.get $records))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (global.get $cursor) (local.get $end)))
        (global.set $cursor
          (i32.add (global.get $cursor)
            (i32.add (i32.const 1)
              (i32.shl
                (call_indirect (type $op)
                  (i32.rem_u (i32.load8_u (global.get $cursor)) (i32.const 29)))
                (i32.const 2)))))
        (br $next)))
    (i32.const 0)))
)wat";

// Enough instructions for the longest input that the records area holds.
// A run that pauses at the budget is a valid outcome too.
constexpr std::uint64_t budget = 2'000'000;

// Two pages: the guest may grow one more before the host ends the run for
// exceeding its memory limit.
instance_limits fuzz_limits() {
  instance_limits limits;
  limits.memory_pages = 2;
  limits.call_depth = 64;
  limits.value_stack = 4'096;
  return limits;
}

std::shared_ptr<const compiled_module> guest;

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::install_deterministic_random();
  auto compiled = compile_module("host_abi_guest.wat", guest_wat, true);
  if (!compiled) {
    std::fprintf(stderr, "the fuzz guest does not compile: %s\n",
                 describe(compiled.error()).c_str());
    std::abort();
  }
  guest = *compiled;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::reset_random();
  auto limits = fuzz_limits();
  fuzz::recording_env env(fuzz::fuzz_message(
    "fuzz", std::string(reinterpret_cast<const char*>(data), size)));
  auto created = wasm_instance::create(guest, limits, env);
  fuzz::require(static_cast<bool>(created), "the fuzz guest failed to start");
  auto& instance = **created;

  const auto* msg = env.current_message();
  run_result result;
  fuzz::require(
    instance.begin_message(1, static_cast<std::uint32_t>(msg->topic.size()),
                           static_cast<std::uint32_t>(msg->payload.size()),
                           result),
    "the fuzz guest's handler failed to start");
  result = instance.run(budget);
  fuzz::report("run", fuzz::describe_run(result));
  fuzz::report("host calls", std::to_string(env.calls) + " reached the "
                               "environment with "
                               + std::to_string(env.bytes) + " bytes");

  // Every run ends in one of the clean ways: a return, a pause at the
  // budget, a trap with a reason, an exit with a code, or the memory limit.
  switch (result.status) {
    case run_status::returned:
      fuzz::require(result.value == 0, "the guest returned non-zero");
      break;
    case run_status::paused:
      fuzz::require(instance.running(), "a paused call is not running");
      break;
    case run_status::trapped:
      fuzz::require(!result.detail.empty(), "a trap without a reason");
      break;
    case run_status::exited:
      fuzz::require(instance.host().exit_code.has_value(),
                    "an exited run has no exit code");
      break;
    case run_status::memory_exceeded:
      fuzz::require(instance.memory_bytes()
                      > limits.memory_pages * page_bytes,
                    "memory_exceeded within the limit");
      break;
  }
  fuzz::require(instance.memory_bytes()
                  <= (limits.memory_pages + 1) * page_bytes,
                "linear memory grew past the limit plus one page");
  instance.host().flush_output();
  return 0;
}
