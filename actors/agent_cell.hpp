#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>

#include "serialization/capabilities.hpp"
#include "serialization/limits.hpp"
#include "serialization/pid.hpp"
#include "serialization/process_info.hpp"

namespace corral {

/// What the kernel, the directory and an agent's hosting actor share about
/// one live agent. Identity fields are set before the cell is published and
/// never change afterwards; counters are atomics that the hosting actor
/// bumps and anyone may read without a message round trip.
struct agent_cell {
  /// Creates a cell with default capabilities and no limits.
  agent_cell();

  /// Creates a cell whose capabilities and limits are shared, e.g. with
  /// the spawn request or the node's defaults, so that agents do not each
  /// hold a copy.
  agent_cell(std::shared_ptr<const capabilities> shared_caps,
             std::shared_ptr<const struct limits> shared_limits);

  agent_cell(const agent_cell&) = delete;
  agent_cell& operator=(const agent_cell&) = delete;

  /// Owners of what `caps` and `limits` refer to.
  std::shared_ptr<const capabilities> shared_caps;
  std::shared_ptr<const struct limits> shared_limits;

  pid_type pid = 0;
  std::string agent_id;
  global_pid global;
  pid_type parent = kernel_pid;
  const capabilities& caps;
  const struct limits& limits;
  /// The CAF actor hosting the agent; set by the kernel after the spawn.
  caf::actor actor;
  /// True when `actor` forwards to an agent of another node (a Remote
  /// proxy, or the route to a global pid). Requests to it then go as
  /// `remote_request`, so that the requester's deadline travels along.
  bool remote = false;

  std::atomic<std::uint64_t> messages_in{0};
  std::atomic<std::uint64_t> messages_out{0};
  std::atomic<std::uint64_t> cpu_ns{0};
  std::atomic<std::uint64_t> memory_bytes{0};
  std::atomic<std::uint64_t> fuel{0};

  /// The state in the kernel's table, which only the kernel writes. Spawns
  /// outside the kernel read it to refuse children of a stopping parent.
  std::atomic<process_state> state{process_state::starting};
  /// Set when a spawn outside the kernel is given up before the agent
  /// first ran. Its hosting actor then exits without starting the agent.
  std::atomic<bool> cancelled{false};
};

} // namespace corral
