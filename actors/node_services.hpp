#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include <caf/actor.hpp>

#include "actors/backend.hpp"
#include "actors/dead_letter_queue.hpp"
#include "actors/directory.hpp"
#include "actors/module_store.hpp"
#include "actors/node_config.hpp"
#include "actors/remote_routes.hpp"
#include "actors/spawn_inbox.hpp"

namespace corral {

/// What every actor of a node shares: its identity, the routing directory,
/// the dead-letter queue, the backends and the kernel's handle. Created by
/// `node` before the kernel, and kept alive by every hosting actor.
struct node_services {
  node_config config;
  backend_registry backends;
  directory agents;
  dead_letter_queue dead_letters;
  /// Spawns done outside the kernel that its table does not hold yet.
  spawn_inbox spawns;
  /// WASM module bytes by SHA-256: those this node shipped to other nodes
  /// and those it received from them.
  module_store modules;
  caf::actor kernel;
  /// `config.default_capabilities`, shared by the cells of agents whose
  /// request names none.
  std::shared_ptr<const capabilities> default_capabilities;
  /// Limits with every field unset, shared by the cells of agents whose
  /// request sets none.
  std::shared_ptr<const struct limits> no_limits
    = std::make_shared<const struct limits>();
  std::chrono::steady_clock::time_point started
    = std::chrono::steady_clock::now();
  /// The next pid the kernel hands out; pids below it existed once, which
  /// lets routing tell an exited agent from one that never was.
  std::atomic<pid_type> next_pid{1};
  /// The next trace_id `new_trace_id` hands out. It starts at a random
  /// value, so that traces started on different nodes rarely share an id.
  std::atomic<std::uint64_t> next_trace_id;

  /// Creates the services of a node with `cfg`.
  node_services(node_config cfg, backend_registry registry)
    : config(std::move(cfg)),
      backends(std::move(registry)),
      dead_letters(config.dead_letter_capacity),
      default_capabilities(
        std::make_shared<const capabilities>(config.default_capabilities)),
      next_trace_id(random_trace_start()) {
  }

  /// Returns a trace_id for a message that starts a chain: one sent from
  /// outside the node's agents, or by an agent outside a message handler.
  /// Never 0, which means "no trace".
  std::uint64_t new_trace_id() {
    auto id = next_trace_id.fetch_add(1, std::memory_order_relaxed);
    if (id == 0)
      id = next_trace_id.fetch_add(1, std::memory_order_relaxed);
    return id;
  }

  /// The node's id.
  const std::string& node_id() const {
    return config.node_id;
  }

  /// Returns the routes to other nodes, or null outside a cluster.
  std::shared_ptr<const remote_routes> remote() const {
    return std::atomic_load(&remote_);
  }

  /// Sets (or, with null, clears) the routes to other nodes. Atomic,
  /// because agents may route while a cluster attaches or detaches.
  void set_remote(std::shared_ptr<const remote_routes> routes) {
    std::atomic_store(&remote_, std::move(routes));
  }

private:
  std::shared_ptr<const remote_routes> remote_;

  static std::uint64_t random_trace_start() {
    std::random_device entropy;
    return (std::uint64_t{entropy()} << 32) | entropy();
  }
};

} // namespace corral
