#include "actors/router.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "actors/error.hpp"

namespace corral {

namespace {

route missing(const node_services& services, pid_type pid,
              const std::string& target) {
  route result;
  if (pid != kernel_pid && pid < services.next_pid.load()) {
    result.reason = dead_letter_reason::exited_target;
    result.error = make_error(errc::process_not_found,
                              "agent " + target + " has exited");
  } else {
    result.error = make_error(errc::process_not_found,
                              "no agent " + target + " on node "
                                + services.node_id());
  }
  return result;
}

route resolve_remote(const node_services& services, const global_pid& target) {
  route result;
  auto remote = services.remote();
  if (remote == nullptr) {
    result.error = make_error(errc::node_unreachable,
                              "node " + target.node + " is not known to node "
                                + services.node_id()
                                + "; this node runs without a cluster");
    return result;
  }
  auto cell = remote->find(target);
  if (!cell) {
    result.error = std::move(cell.error());
    return result;
  }
  result.cell = std::move(*cell);
  return result;
}

bool contains(const std::vector<std::string>& list, const std::string& x) {
  return std::find(list.begin(), list.end(), x) != list.end();
}

} // namespace

route resolve(const node_services& services, const std::string& target) {
  if (auto pid = parse_pid(target)) {
    if (auto cell = services.agents.find(*pid))
      return {std::move(cell), {}, {}};
    return missing(services, *pid, target);
  }
  if (auto global = parse_global_pid(target)) {
    if (global->node != services.node_id())
      return resolve_remote(services, *global);
    if (auto cell = services.agents.find(global->pid))
      return {std::move(cell), {}, {}};
    return missing(services, global->pid, target);
  }
  if (auto cell = services.agents.find(target))
    return {std::move(cell), {}, {}};
  route result;
  result.error = make_error(errc::process_not_found,
                            "no live agent named " + target + " on node "
                              + services.node_id());
  return result;
}

caf::error check_send(const agent_cell* sender, const agent_cell& receiver,
                      const std::string& topic) {
  if (sender == nullptr)
    return {};
  const auto& scope = sender->caps.can_send;
  auto denied = [&](const std::string& why) {
    return make_error(errc::capability_denied,
                      "agent " + sender->agent_id + " (pid "
                        + std::to_string(sender->pid) + ") may not send to "
                        + receiver.agent_id + " (pid "
                        + std::to_string(receiver.pid) + "): " + why);
  };
  // An agent of another node is never this agent's parent or child, and a
  // list names it by its global pid, because its pid is another node's.
  bool remote = receiver.global.node != sender->global.node;
  switch (scope.kind) {
    case send_scope_kind::all:
      break;
    case send_scope_kind::parent_only:
      if (remote)
        return denied("its can_send scope is parent_only and the receiver "
                      "is on node " + receiver.global.node);
      if (receiver.pid != sender->parent)
        return denied("its can_send scope is parent_only");
      break;
    case send_scope_kind::children:
      if (remote)
        return denied("its can_send scope is children and the receiver is "
                      "on node " + receiver.global.node);
      if (receiver.parent != sender->pid)
        return denied("its can_send scope is children");
      break;
    case send_scope_kind::listed:
      if (remote) {
        if (!contains(scope.agents, to_string(receiver.global)))
          return denied("the receiver is not in its can_send list");
        break;
      }
      if (!contains(scope.agents, receiver.agent_id)
          && !contains(scope.agents, std::to_string(receiver.pid)))
        return denied("the receiver is not in its can_send list");
      break;
    case send_scope_kind::none:
      return denied("its can_send scope is none");
    default:
      return denied("its can_send scope is not understood by this node");
  }
  if (!scope.topics.empty() && !contains(scope.topics, topic))
    return denied("topic " + topic + " is not in its can_send topics");
  return {};
}

caf::error check_publish(const agent_cell* sender, const std::string& topic) {
  if (sender == nullptr)
    return {};
  const auto& allowed = sender->caps.can_publish;
  if (contains(allowed, "*") || contains(allowed, topic))
    return {};
  return make_error(errc::capability_denied,
                    "agent " + sender->agent_id + " (pid "
                      + std::to_string(sender->pid)
                      + ") may not publish to topic " + topic
                      + ": it is not in its can_publish list");
}

void post_dead_letter(node_services& services, message msg,
                      const std::string& target, dead_letter_reason reason) {
  services.dead_letters.post(
    dead_letter{std::move(msg), target, reason, now_ms()});
}

void post_failed_request(node_services& services, message msg,
                         const std::string& target, errc code) {
  if (code == errc::timeout)
    post_dead_letter(services, std::move(msg), target,
                     dead_letter_reason::timeout);
  else if (code == errc::process_not_found || code == errc::agent_exited)
    post_dead_letter(services, std::move(msg), target,
                     dead_letter_reason::exited_target);
}

void post_unhandled_cast(node_services& services, message msg) {
  auto target = to_string(msg.to);
  post_dead_letter(services, std::move(msg), target,
                   dead_letter_reason::exited_target);
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

} // namespace corral
