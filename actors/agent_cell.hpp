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

/// Creates the hosting actor of an agent whose spawn left that to the
/// first thread that needs the actor (`agent_cell::defer_actor`).
class actor_maker {
public:
  virtual ~actor_maker() = default;

  /// Creates the actor unscheduled (CAF's `lazy_init`), so that its first
  /// message starts it, or returns an invalid handle when the agent's cell
  /// no longer exists.
  virtual caf::actor make() = 0;
};

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
  /// Returns the CAF actor hosting the agent. When the spawn left its
  /// creation to the first user (`defer_actor`), the first call creates
  /// it, on whichever thread makes that call, and concurrent calls wait
  /// until it exists. The handle is invalid when that creation failed
  /// (out of memory). Thread-safe.
  const caf::actor& actor() const {
    if (actor_state_.load(std::memory_order_acquire) != actor_ready)
      create_actor();
    return actor_;
  }

  /// Sets the hosting actor. Called before the cell is published.
  void set_actor(caf::actor actor) {
    actor_ = std::move(actor);
  }

  /// Leaves the creation of the hosting actor to the first call of
  /// `actor()`. Called before the cell is published.
  void defer_actor(std::unique_ptr<actor_maker> maker);
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

private:
  enum : std::uint8_t { actor_ready, actor_deferred, actor_creating };

  void create_actor() const;

  // Mutable because `actor()` creates a deferred actor, which does not
  // change what the cell describes.
  mutable caf::actor actor_;
  mutable std::unique_ptr<actor_maker> maker_;
  mutable std::atomic<std::uint8_t> actor_state_{actor_ready};
};

} // namespace corral
