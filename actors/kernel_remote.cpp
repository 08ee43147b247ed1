// Operations on agents of other nodes: by the pid of their proxy here, or
// by their global pid when no proxy exists for them. The kernel sends each
// one to the remote gateway, which runs it on the agent's node and returns
// the reply. The kernel then updates the proxy's entry.

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/kernel.hpp"

namespace corral {

std::optional<global_pid>
kernel_actor::remote_target(const std::string& target) const {
  auto global = parse_global_pid(target);
  if (!global || global->node == services_->node_id())
    return std::nullopt;
  return global;
}

// A proxy's entry carries the global pid of its remote agent once the
// agent runs there; before that it has nothing to forward to.
std::optional<global_pid>
kernel_actor::proxied(const process_entry& entry) const {
  auto extras = entry.find_extras();
  if (extras == nullptr || !extras->global
      || extras->global->node == services_->node_id()
      || entry.state == process_state::starting)
    return std::nullopt;
  return extras->global;
}

// Sends `control` for `agent` through the gateway; `pick` turns the reply
// into the caller's result.
template <class T, class Pick>
caf::result<T> kernel_actor::ask_remote(const global_pid& agent,
                                        remote_control control, Pick pick) {
  auto routes = services_->remote();
  if (routes == nullptr)
    return make_error(errc::node_unreachable,
                      "node " + agent.node + " is not known to node "
                        + services_->node_id()
                        + "; this node runs without a cluster");
  auto gateway = routes->find(agent);
  if (!gateway)
    return gateway.error();
  control.target = agent.pid;
  auto promise = make_response_promise();
  // The gateway bounds the wait with its own timeout.
  request((*gateway)->actor(), caf::infinite, control_atom::value, agent,
          control)
    .then(
      [promise, pick](remote_control_reply& reply) mutable {
        caf::expected<T> result = pick(reply);
        if (!result)
          promise.deliver(std::move(result.error()));
        else if constexpr (std::is_same_v<T, caf::unit_t>)
          promise.deliver(caf::unit);
        else
          promise.deliver(std::move(*result));
      },
      [promise](caf::error& error) mutable {
        promise.deliver(std::move(error));
      });
  return caf::delegated<T>{};
}

caf::result<exit_reason> kernel_actor::stop_remote(const global_pid& agent,
                                                   stop_options options) {
  remote_control control;
  control.op = control_op::stop;
  control.immediate = options.immediate;
  control.grace_ms = options.grace_ms;
  return ask_remote<exit_reason>(
    agent, control, [](remote_control_reply& reply) -> caf::expected<exit_reason> {
      return std::move(reply.exit);
    });
}

caf::result<spawn_result> kernel_actor::restart_remote(const global_pid& agent) {
  remote_control control;
  control.op = control_op::restart;
  return ask_remote<spawn_result>(
    agent, control,
    [](remote_control_reply& reply) -> caf::expected<spawn_result> {
      return std::move(reply.spawned);
    });
}

// The agent restarts on its node under the same agent_id; the proxy keeps
// its pid here and follows the agent's new global pid.
caf::result<spawn_result>
kernel_actor::restart_proxy(process_entry& entry, const global_pid& agent) {
  remote_control control;
  control.op = control_op::restart;
  auto pid = entry.pid();
  return ask_remote<spawn_result>(
    agent, control,
    [this, pid, agent](remote_control_reply& reply) -> caf::expected<spawn_result> {
      const auto& spawned = reply.spawned;
      auto entry = table_.find(pid);
      if (entry == nullptr)
        return make_error(errc::process_not_found,
                          "the proxy (pid " + std::to_string(pid) + ") of "
                            + to_string(agent)
                            + " exited while its agent restarted");
      entry->extras().global = spawned.global;
      ++entry->restart_count;
      log(spdlog::level::info, entry,
          "remote agent restarted as " + to_string(spawned.global));
      return result_of(*entry);
    });
}

caf::result<caf::unit_t>
kernel_actor::suspend_remote(const global_pid& agent,
                             std::optional<pid_type> proxy, bool suspend) {
  remote_control control;
  control.op = suspend ? control_op::suspend : control_op::resume;
  return ask_remote<caf::unit_t>(
    agent, control,
    [this, proxy, suspend](remote_control_reply&) -> caf::expected<caf::unit_t> {
      if (proxy)
        apply_suspend(*proxy, suspend);
      return caf::unit;
    });
}

// The proxy's entry (pid, parent, children, restarts) merged with what
// only the agent's node records: its state, type, usage and how its
// backend runs it (e.g. a Tee agent's enclave and measurement).
caf::result<process_info>
kernel_actor::inspect_proxy(const process_entry& entry,
                            const global_pid& agent) {
  remote_control control;
  control.op = control_op::inspect;
  auto local = snapshot(entry);
  return ask_remote<process_info>(
    agent, control,
    [local](remote_control_reply& reply) -> caf::expected<process_info> {
      const auto& remote = reply.process;
      auto merged = local;
      merged.agent_type = remote.agent_type;
      merged.usage = remote.usage;
      merged.backend_details = remote.backend_details;
      if (remote.state == process_state::suspended
          || remote.state == process_state::stopping)
        merged.state = remote.state;
      return merged;
    });
}

caf::result<process_info> kernel_actor::inspect_remote(const global_pid& agent) {
  remote_control control;
  control.op = control_op::inspect;
  return ask_remote<process_info>(
    agent, control,
    [](remote_control_reply& reply) -> caf::expected<process_info> {
      return std::move(reply.process);
    });
}

// Monitors and links of an agent here on an agent of another node: the
// gateway keeps them, ends them when either agent exits, and turns the
// death of the node into node_down.
caf::result<caf::unit_t> kernel_actor::watch_remote(control_op op,
                                                    pid_type pid,
                                                    const global_pid& agent) {
  remote_control control;
  control.op = op;
  control.peer = pid;
  return ask_remote<caf::unit_t>(
    agent, control,
    [](remote_control_reply&) -> caf::expected<caf::unit_t> {
      return caf::unit;
    });
}

} // namespace corral
