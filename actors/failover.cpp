#include "actors/failover.hpp"

#include <variant>

#include "actors/error.hpp"
#include "actors/log.hpp"

namespace corral {

caf::expected<std::shared_ptr<const spawn_request>>
place_restart(const node_services& services, pid_type supervisor,
              std::shared_ptr<const spawn_request> request) {
  const auto* remote = std::get_if<remote_backend>(&request->backend);
  if (remote == nullptr || remote->failover.mode == failover_mode::none)
    return request;

  // Outside a cluster the Remote backend rejects the restart itself, with
  // the reason, so nothing needs to be chosen here.
  auto routes = services.remote();
  if (!routes)
    return request;
  auto target = routes->failover_target(*remote);
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
  corral::log(spdlog::level::info,
              {services.node_id(), supervisor, request->agent_id},
              "failover: node " + remote->node_id
                + " is not alive, restarting the agent on node " + *target);
  return std::shared_ptr<const spawn_request>{std::move(moved)};
}

} // namespace corral
