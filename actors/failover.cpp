#include "actors/failover.hpp"

#include <string_view>
#include <variant>

#include "actors/error.hpp"
#include "actors/log.hpp"

namespace corral {

caf::expected<std::shared_ptr<const spawn_request>>
place_restart(const node_services& services, pid_type supervisor,
              std::shared_ptr<const spawn_request> request,
              const refused_node_map& refused) {
  const auto* remote = std::get_if<remote_backend>(&request->backend);
  if (remote == nullptr || remote->failover.mode == failover_mode::none)
    return request;

  // Outside a cluster the Remote backend rejects the restart itself, with
  // the reason, so nothing needs to be chosen here.
  auto routes = services.remote();
  if (!routes)
    return request;
  auto target = routes->failover_target(*remote, refused);
  if (!target)
    return make_error(errc::node_unreachable,
                      "failover of agent " + request->agent_id
                        + " found no node to run it: "
                        + describe(target.error()));
  if (*target == remote->node_id)
    return request;

  auto moved = std::make_shared<spawn_request>(*request);
  if (*target == services.node_id()) {
    // Run here with the inner backend. The agent is then local and has no
    // failover any more, because there is no remote node left to lose.
    moved->backend = std::visit(
      [](const auto& x) -> spawn_backend { return x; }, remote->inner);
  } else {
    std::get<remote_backend>(moved->backend).node_id = *target;
  }
  auto refusal = refused.find(remote->node_id);
  auto why = refusal == refused.end()
               ? "is not alive"
               : "did not start the agent (" + refusal->second + ")";
  corral::log(spdlog::level::info,
              {services.node_id(), supervisor, request->agent_id},
              "failover: node " + remote->node_id + " " + why
                + ", restarting the agent on node " + *target);
  return std::shared_ptr<const spawn_request>{std::move(moved)};
}

void note_exit_for_failover(child_slot& slot, bool ran,
                            const exit_reason& reason) {
  if (ran) {
    slot.refused_nodes.reset();
    return;
  }
  // Only Remote requests are unpacked, so other exits stay cheap.
  if (std::string_view{slot.request->backend()} != "Remote")
    return;
  auto request = slot.request->unpack();
  if (!request)
    return;
  const auto* remote = std::get_if<remote_backend>(&(*request)->backend);
  if (remote == nullptr || remote->failover.mode != failover_mode::any)
    return;
  if (!slot.refused_nodes)
    slot.refused_nodes = std::make_unique<refused_node_map>();
  (*slot.refused_nodes)[remote->node_id] = to_string(reason);
}

} // namespace corral
