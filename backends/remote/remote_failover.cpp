// The choice of a node for a Remote agent whose node is no longer alive.

#include <limits>

#include "actors/error.hpp"
#include "backends/remote/remote_service.hpp"

namespace corral::remote {

caf::expected<std::string>
remote_service::failover_target(const remote_backend& spec) const {
  std::lock_guard<std::mutex> guard{mutex_};
  if (cluster_ == nullptr || !services_)
    return make_error(errc::backend_not_available,
                      "node " + spec.node_id
                        + " cannot be replaced: this node's cluster is "
                          "stopping");
  auto alive = [&](const std::string& node) {
    auto member = members_.find(node);
    return member != members_.end()
           && member->second == member_event_kind::up;
  };
  if (alive(spec.node_id) || spec.failover.mode == failover_mode::none)
    return spec.node_id;

  auto inner = backend_name(spec.inner);
  auto runs_here = services_->backends.find(inner) != nullptr;
  const auto& self = services_->node_id();
  for (const auto& node : spec.failover.preferred)
    if ((node != spec.node_id && alive(node)) || (node == self && runs_here))
      return node;

  // The member with the fewest live agents, from its latest heartbeat. A
  // member that has not reported a count yet ranks last, and ties go to
  // the smaller node id, so that the choice is repeatable.
  std::string chosen;
  auto fewest = std::numeric_limits<std::uint64_t>::max();
  for (const auto& member : cluster_->members()) {
    if (member.self || member.node_id == spec.node_id || !alive(member.node_id))
      continue;
    auto agents = member.agents.value_or(
      std::numeric_limits<std::uint64_t>::max() - 1);
    if (chosen.empty() || agents < fewest
        || (agents == fewest && member.node_id < chosen)) {
      chosen = member.node_id;
      fewest = agents;
    }
  }
  if (!chosen.empty())
    return chosen;

  // With no other member alive, this node runs the agent if it can.
  if (runs_here)
    return self;
  return make_error(errc::node_unreachable,
                    "node " + spec.node_id
                      + " is down, no other member is alive, and node "
                      + self + " has no " + inner
                      + " backend; start another node or spawn again "
                        "when node "
                      + spec.node_id + " is back");
}

} // namespace corral::remote
