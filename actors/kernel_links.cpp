// Links and monitors between agents, as in Erlang. Linked agents get an
// exit signal when the other exits abnormally, and a monitor delivers one
// down notice to the agent that set it. Targets of other nodes go through
// the gateway.

#include <algorithm>

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/kernel.hpp"

namespace corral {

caf::result<caf::unit_t> kernel_actor::handle_link(pid_type pid,
                                                   const std::string& target) {
  auto self_entry = table_.find(pid);
  if (self_entry == nullptr)
    return not_found(std::to_string(pid));
  if (auto peer = find_live(target)) {
    // Links are a set, as in Erlang: linking twice signals once.
    auto& links = self_entry->extras().links;
    if (peer->pid() == pid
        || std::find(links.begin(), links.end(), peer->pid()) != links.end())
      return caf::unit;
    links.push_back(peer->pid());
    peer->extras().links.push_back(pid);
    return caf::unit;
  }
  auto exited = find_exited(target);
  if (exited == nullptr) {
    if (auto remote = remote_target(target))
      return watch_remote(control_op::link, pid, *remote);
    return not_found(target);
  }
  // Linking to an agent that already exited signals at once, as in Erlang,
  // and like a live link it does not signal a normal exit.
  auto reason = exited->exit.value_or(exit_reason{});
  if (reason.kind != exit_kind::normal)
    send(self_entry->actor(),
         exit_signal{exited->pid, exited->agent_id, std::move(reason)});
  return caf::unit;
}

caf::result<caf::unit_t>
kernel_actor::handle_monitor(pid_type pid, const std::string& target) {
  auto watcher = table_.find(pid);
  if (watcher == nullptr)
    return not_found(std::to_string(pid));
  if (auto watched = find_live(target)) {
    watched->extras().monitored_by.push_back(pid);
    return caf::unit;
  }
  auto exited = find_exited(target);
  if (exited == nullptr) {
    if (auto remote = remote_target(target))
      return watch_remote(control_op::monitor, pid, *remote);
    return not_found(target);
  }
  send(watcher->actor(), down_notice{exited->pid, exited->agent_id,
                                   exited->exit.value_or(exit_reason{})});
  return caf::unit;
}

namespace {

void erase_pid(std::vector<pid_type>& list, pid_type pid) {
  list.erase(std::remove(list.begin(), list.end(), pid), list.end());
}

} // namespace

// Unlinking from an agent that is not linked, or has exited, does nothing,
// as in Erlang.
caf::result<caf::unit_t>
kernel_actor::handle_unlink(pid_type pid, const std::string& target) {
  auto self_entry = table_.find(pid);
  auto peer = find_live(target);
  if (self_entry != nullptr && peer == nullptr)
    if (auto remote = remote_target(target))
      return watch_remote(control_op::unlink, pid, *remote);
  if (self_entry == nullptr || peer == nullptr)
    return caf::unit;
  if (auto extras = self_entry->find_extras())
    erase_pid(extras->links, peer->pid());
  if (auto extras = peer->find_extras())
    erase_pid(extras->links, pid);
  return caf::unit;
}

// Removes every monitor `pid` holds on the target; a later exit of the
// target delivers no down notice to it.
caf::result<caf::unit_t>
kernel_actor::handle_demonitor(pid_type pid, const std::string& target) {
  if (auto watched = find_live(target)) {
    if (auto extras = watched->find_extras())
      erase_pid(extras->monitored_by, pid);
  } else if (auto remote = remote_target(target)) {
    return watch_remote(control_op::demonitor, pid, *remote);
  }
  return caf::unit;
}

} // namespace corral
