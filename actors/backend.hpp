#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "actors/agent_cell.hpp"
#include "serialization/spawn_request.hpp"

namespace corral {

struct node_services;

/// What a backend gets to start one agent.
struct spawn_context {
  caf::actor_system& system;
  const spawn_request& request;
  /// Identity, capabilities and counters of the new agent, with its pid
  /// already set.
  std::shared_ptr<agent_cell> cell;
  std::shared_ptr<node_services> services;
  /// Set only for backends whose `spawns_on_caller` is true, when the
  /// caller spawns outside the kernel: the backend creates the actor
  /// without scheduling it (CAF's `lazy_init`), and its first message
  /// starts it.
  bool deferred_start = false;
  /// Set with `deferred_start` when the backend may instead leave an
  /// invalid actor in the outcome and the actor's creation to the cell
  /// (`agent_cell::defer_actor`).
  bool deferred_creation = false;
};

/// The actor a backend started for an agent.
struct spawn_outcome {
  caf::actor actor;
  /// False when the agent still has to get ready (e.g. a container that
  /// boots, a Tee agent whose host is attested, or a remote spawn that
  /// waits for the target node). The agent then sends `started_atom` to
  /// the kernel with its pid, and its global pid or backend details where
  /// it has them, or exits. An exit with one of
  /// corral's error codes (`make_error`) before that fails the spawn with
  /// that error.
  bool started = true;
  /// What `ps` shows as the agent's type when the request's agent_type
  /// means nothing to the backend (e.g. the module file of a WASM agent);
  /// empty keeps the request's.
  std::string agent_type;
  /// The node that runs the agent, when another node runs it for this
  /// actor (Remote); empty means this node.
  std::string node;
  /// What `inspect` shows about how the backend runs this agent (e.g. a
  /// Tee agent's enclave_type and measurement).
  std::map<std::string, std::string> details = {};
};

/// One way to run agents (a SpawnBackend variant). A backend turns a spawn
/// request into a CAF actor and never blocks the caller for long.
class backend {
public:
  virtual ~backend() = default;

  /// Starts the agent, or returns `backend_not_available` or `spawn_failed`
  /// with the reason. On error nothing may be left running.
  virtual caf::expected<spawn_outcome> spawn(const spawn_context& ctx) = 0;

  /// True when `spawn` may run on any thread and honors
  /// `spawn_context::deferred_start`. Agents of such a backend are spawned
  /// on the caller's thread, without a request to the kernel, and must
  /// start at once (`spawn_outcome::started`).
  virtual bool spawns_on_caller() const {
    return false;
  }
};

/// The backends a node can use, by their JSON name ("Native", "Wasm", ...).
class backend_registry {
public:
  /// Adds or replaces the backend for `name`.
  void add(const std::string& name, std::shared_ptr<backend> impl) {
    backends_[name] = std::move(impl);
  }

  /// Returns the backend for `name`, or null.
  backend* find(std::string_view name) const {
    auto i = backends_.find(name);
    return i == backends_.end() ? nullptr : i->second.get();
  }

private:
  // Transparent, so that `find` builds no std::string for each spawn.
  std::map<std::string, std::shared_ptr<backend>, std::less<>> backends_;
};

} // namespace corral
