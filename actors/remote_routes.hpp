#pragma once

#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/agent_cell.hpp"
#include "serialization/pid.hpp"
#include "serialization/spawn_backend.hpp"

namespace corral {

/// Reaches agents of other nodes of the cluster. The remote backend
/// implements it and sets it in `node_services::remote` in cluster mode, so
/// that routing in actors/ works with global pids without knowing net/.
class remote_routes {
public:
  virtual ~remote_routes() = default;

  /// Returns a cell that stands for agent `target` of another node: its
  /// actor forwards every message to that node. Fails with
  /// node_unreachable when the node is not known or not alive.
  virtual caf::expected<std::shared_ptr<agent_cell>>
  find(const global_pid& target) const = 0;

  /// Chooses the node on which to restart a Remote agent spawned with
  /// `spec`. That is `spec.node_id` while it is alive. Otherwise, for
  /// failover `any`, it is the first alive node of `spec.failover.preferred`,
  /// else the alive member with the fewest live agents, else this node when
  /// it can run the inner backend. Fails with node_unreachable, naming the
  /// dead node, when none of these can take the agent.
  virtual caf::expected<std::string>
  failover_target(const remote_backend& spec) const = 0;
};

} // namespace corral
