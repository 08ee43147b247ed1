#pragma once

#include "actors/backend.hpp"

namespace corral {

/// Runs agents as registered C++ behaviors (`agent_type`) in CAF actors on
/// the node's scheduler.
class native_launcher : public backend {
public:
  /// Spawns the hosting actor, or with `deferred_creation` leaves that to
  /// the cell (`agent_cell::defer_actor`). The actor creates the agent
  /// from the registry when it first runs. An unknown agent_type returns
  /// `agent_type_unknown`.
  caf::expected<spawn_outcome> spawn(const spawn_context& ctx) override;

  /// True: the registry and CAF's spawn are thread-safe.
  bool spawns_on_caller() const override {
    return true;
  }
};

} // namespace corral
