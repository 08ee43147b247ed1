#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "serialization/capabilities.hpp"
#include "serialization/supervision.hpp"

namespace corral {

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
  /// Grace period of `stop` when the caller names none.
  std::uint64_t default_grace_ms = 5000;
  /// Scheduler worker threads; 0 means one per core.
  std::size_t scheduler_threads = 0;
  /// Messages an actor handles before it yields its worker thread.
  std::size_t scheduler_max_throughput = 300;
  /// Runs native agents on CAF's deterministic test coordinator: nothing
  /// happens until a test calls `node::run_pending`.
  bool deterministic = false;
};

} // namespace corral
