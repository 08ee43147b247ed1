#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "serialization/capabilities.hpp"
#include "serialization/supervision.hpp"

namespace corral {

/// How an idle worker of CAF's work-stealing scheduler waits for work
/// (the `work-stealing.*` keys of CAF 0.17). It polls its queue
/// `aggressive_poll_attempts` times without sleeping, then
/// `moderate_poll_attempts` times with `moderate_sleep` between polls, and
/// then sleeps on a condition variable for up to `relaxed_sleep` at a time.
/// Every `*_steal_interval`-th poll also tries to steal from another worker.
/// Unset fields keep CAF's defaults (100, 10, 500, 5, 50 us, 1, 10 ms).
struct work_stealing_settings {
  std::optional<std::size_t> aggressive_poll_attempts;
  std::optional<std::size_t> aggressive_steal_interval;
  /// 0 by default, so that a worker with no work left blocks on its
  /// condition variable, which a message from outside the scheduler (a
  /// client request, a timer) signals at once. With CAF's 500 polls 50 us
  /// apart such a message waits for the next poll: the median latency of
  /// `node::request` at 100 requests/s was about 140 us instead of 40 us
  /// (corral-bench on 2 cores, see docs/benchmarks.md).
  /// NOTE: a sleeping worker notices work queued by another worker only
  /// when it wakes to steal, after up to `relaxed_sleep` (10 ms).
  std::optional<std::size_t> moderate_poll_attempts = 0;
  std::optional<std::size_t> moderate_steal_interval;
  std::optional<std::chrono::microseconds> moderate_sleep;
  std::optional<std::size_t> relaxed_steal_interval;
  std::optional<std::chrono::microseconds> relaxed_sleep;
};

/// Settings of one node. Defaults suit a single machine; every field can
/// be set from the CLI.
struct node_config {
  /// Unique in the cluster; appears in every global pid and log line.
  std::string node_id = "local";
  /// Live agents at most; exited ones do not count.
  std::size_t max_agents = 1'000'000;
  /// Exited entries kept for `inspect` before the oldest are reaped.
  std::size_t exited_history = 10'000;
  /// Dead letters kept before the oldest are dropped.
  std::size_t dead_letter_capacity = 1024;
  /// Capabilities of agents whose spawn request names none.
  capabilities default_capabilities;
  /// How the kernel supervises top-level agents. When its intensity is
  /// exceeded the kernel stops restarting that agent, but keeps running.
  supervisor_spec root_supervision;
  /// The largest memory one agent of this node may request, in bytes:
  /// a spawn whose `limits.memory_bytes` (or a Tee enclave's
  /// `memory_bytes`) is larger is rejected with invalid_request. A WASM
  /// agent's linear memory is allocated and zero-filled up front, so one
  /// spawn with a large initial memory commits that much of the node's RAM.
  std::uint64_t max_agent_memory_bytes = 1ull << 30;
  /// Grace period of `stop` when the caller names none.
  std::uint64_t default_grace_ms = 5000;
  /// Scheduler worker threads; 0 means one per core (CAF's own default
  /// would start at least 4).
  std::size_t scheduler_threads = 0;
  /// Messages an actor handles before it yields its worker thread.
  std::size_t scheduler_max_throughput = 300;
  /// CAF's `scheduler.policy`: "stealing" (a queue per worker) or
  /// "sharing" (one queue for all workers).
  std::string scheduler_policy = "stealing";
  /// Poll and sleep settings of the "stealing" policy.
  work_stealing_settings work_stealing;
  /// Runs native agents on CAF's deterministic test coordinator: nothing
  /// happens until a test calls `node::run_pending`.
  bool deterministic = false;
};

} // namespace corral
