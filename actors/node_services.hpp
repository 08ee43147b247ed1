#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include <caf/actor.hpp>

#include "actors/backend.hpp"
#include "actors/dead_letter_queue.hpp"
#include "actors/directory.hpp"
#include "actors/node_config.hpp"

namespace corral {

/// What every actor of a node shares: its identity, the routing directory,
/// the dead-letter queue, the backends and the kernel's handle. Created by
/// `node` before the kernel, and kept alive by every hosting actor.
struct node_services {
  node_config config;
  backend_registry backends;
  directory agents;
  dead_letter_queue dead_letters;
  caf::actor kernel;
  std::chrono::steady_clock::time_point started
    = std::chrono::steady_clock::now();
  /// The next pid the kernel hands out; pids below it existed once, which
  /// lets routing tell an exited agent from one that never was.
  std::atomic<pid_type> next_pid{1};

  /// Creates the services of a node with `cfg`.
  node_services(node_config cfg, backend_registry registry)
    : config(std::move(cfg)),
      backends(std::move(registry)),
      dead_letters(config.dead_letter_capacity) {
  }

  /// The node's id.
  const std::string& node_id() const {
    return config.node_id;
  }
};

} // namespace corral
