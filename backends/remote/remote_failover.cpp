// The choice of a node for a Remote agent whose node is no longer alive.

#include <limits>

#include "actors/error.hpp"
#include "backends/remote/remote_service.hpp"

namespace corral::remote {

caf::expected<std::string> remote_service::failover_target(
  const remote_backend& spec,
  const std::map<std::string, std::string>& refused) const {
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
  // A node that failed to start the agent since it last ran is skipped,
  // so that each restart tries another one. The supervisor's intensity
  // bounds how many restarts that takes.
  auto usable = [&](const std::string& node) {
    return alive(node) && refused.count(node) == 0;
  };
  if (spec.failover.mode == failover_mode::none || usable(spec.node_id))
    return spec.node_id;

  auto inner = backend_name(spec.inner);
  const auto& self = services_->node_id();
  auto runs_here = services_->backends.find(inner) != nullptr
                   && refused.count(self) == 0;
  for (const auto& node : spec.failover.preferred)
    if ((node != spec.node_id && usable(node)) || (node == self && runs_here))
      return node;

  // The member with the fewest live agents, from its latest heartbeat. A
  // member that has not reported a count yet ranks last, and ties go to
  // the smaller node id, so that the choice is repeatable.
  std::string chosen;
  auto fewest = std::numeric_limits<std::uint64_t>::max();
  for (const auto& member : cluster_->members()) {
    if (member.self || member.node_id == spec.node_id
        || !usable(member.node_id))
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

  // With no other member that can take it, this node runs the agent if it
  // can.
  if (runs_here)
    return self;
  std::string refusals;
  for (const auto& [node, reason] : refused)
    refusals += "; node " + node + " did not start it: " + reason;
  return make_error(errc::node_unreachable,
                    "node " + spec.node_id
                      + (alive(spec.node_id) ? " is alive" : " is down")
                      + ", no other member can take the agent, and node "
                      + self + " has no " + inner
                      + " backend; start another node or spawn again "
                        "when node "
                      + spec.node_id + " is back" + refusals);
}

} // namespace corral::remote
