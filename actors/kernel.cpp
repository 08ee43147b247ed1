#include "actors/kernel.hpp"

#include <algorithm>

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/grace_period.hpp"
#include "actors/local_spawn.hpp"
#include "actors/router.hpp"

namespace corral {

kernel_actor::kernel_actor(caf::actor_config& cfg,
                           std::shared_ptr<node_services> services)
  : caf::event_based_actor(cfg),
    services_(std::move(services)),
    table_(services_->config.exited_history) {
  root_.spec = services_->config.root_supervision;
}

caf::invoke_message_result
kernel_actor::consume(caf::mailbox_element& x) {
  drain_spawns();
  return caf::event_based_actor::consume(x);
}

caf::behavior kernel_actor::make_behavior() {
  set_down_handler([this](caf::down_msg& down) { on_down(down); });
  // CAF's default error handler ends the actor at the first error message
  // that is not a reply, and the node cannot work without its kernel. Such
  // an error comes, for example, from an actor that has no handler for the
  // kernel's reply or shutdown signal: CAF sends back unexpected_message.
  set_error_handler([this](caf::error& error) {
    corral::log(spdlog::level::warn, {services_->node_id(), kernel_pid, {}},
                "ignored an error message that is not a reply: "
                  + describe(error));
  });
  return {
    [this](drain_atom) {
      // consume() has drained the inbox already.
    },
    [this](agent_down_atom, pid_type pid, caf::actor_id id,
           const caf::error& reason) { on_agent_down(pid, id, reason); },
    [this](spawn_atom, spawn_request& request) {
      return handle_spawn(std::move(request));
    },
    [this](stop_atom, const std::string& target, stop_options options) {
      return handle_stop(target, options);
    },
    [this](restart_atom, const std::string& target) {
      return handle_restart(target);
    },
    [this](suspend_atom, const std::string& target) {
      return handle_suspend(target, true);
    },
    [this](resume_atom, const std::string& target) {
      return handle_suspend(target, false);
    },
    [this](inspect_atom, const std::string& target) {
      return handle_inspect(target);
    },
    [this](list_atom, bool include_exited) {
      return handle_list(include_exited);
    },
    [this](watch_atom, caf::actor& watcher) {
      add_watcher(std::move(watcher));
      return caf::unit;
    },
    [this](unwatch_atom, const caf::actor& watcher) {
      remove_watcher(watcher);
      return caf::unit;
    },
    [this](link_atom, pid_type pid, const std::string& target) {
      return handle_link(pid, target);
    },
    [this](monitor_atom, pid_type pid, const std::string& target) {
      return handle_monitor(pid, target);
    },
    [this](unlink_atom, pid_type pid, const std::string& target) {
      return handle_unlink(pid, target);
    },
    [this](demonitor_atom, pid_type pid, const std::string& target) {
      return handle_demonitor(pid, target);
    },
    [this](started_atom, pid_type pid) { mark_started(pid, std::nullopt); },
    [this](started_atom, pid_type pid, global_pid& remote) {
      mark_started(pid, std::move(remote));
    },
    [this](started_atom, pid_type pid,
           std::map<std::string, std::string>& details) {
      mark_started(pid, std::nullopt, std::move(details));
    },
    [this](kill_atom, pid_type pid, std::uint64_t token) {
      auto entry = table_.find(pid);
      if (entry == nullptr || entry->stop_token != token)
        return;
      log(spdlog::level::warn, entry,
          "grace period ended; killing the agent");
      send_exit(entry->actor(), caf::exit_reason::kill);
    },
    [this](timer_atom, restart_atom, pid_type parent, std::uint64_t round) {
      on_restart_timer(parent, round);
    },
    [this](const resource_warning& warning) {
      log(spdlog::level::warn, nullptr,
          "agent " + warning.agent_id + " (pid " + std::to_string(warning.pid)
            + ") uses " + std::to_string(warning.used) + " of its "
            + warning.resource + " limit " + std::to_string(warning.limit));
    },
    [this](shutdown_atom) { return handle_shutdown(); },
  };
}

// -- operations on live agents -----------------------------------------------

process_entry* kernel_actor::find_live(const std::string& target) {
  if (auto pid = parse_pid(target))
    return table_.find(*pid);
  if (auto global = parse_global_pid(target)) {
    if (global->node == services_->node_id())
      return table_.find(global->pid);
    // The entry of a proxy here, whose agent runs on that node.
    for (auto entry : table_.live())
      if (proxied(*entry) == global)
        return entry;
    return nullptr;
  }
  auto cell = services_->agents.find(target);
  return cell ? table_.find(cell->pid) : nullptr;
}

const process_info*
kernel_actor::find_exited(const std::string& target) const {
  if (auto pid = parse_pid(target))
    return table_.find_exited(*pid);
  if (auto global = parse_global_pid(target))
    return global->node == services_->node_id()
             ? table_.find_exited(global->pid)
             : nullptr;
  return table_.find_exited(target);
}

caf::error kernel_actor::not_found(const std::string& target) const {
  return make_error(errc::process_not_found,
                    "no live agent " + target + " on node "
                      + services_->node_id()
                      + "; `corral ps` lists the live ones");
}

caf::result<exit_reason> kernel_actor::handle_stop(const std::string& target,
                                                   stop_options options) {
  auto entry = find_live(target);
  if (entry == nullptr) {
    if (auto remote = remote_target(target))
      return stop_remote(*remote, options);
    return not_found(target);
  }
  auto promise = make_response_promise<exit_reason>();
  entry->extras().exit_waiters.push_back(promise);
  stop_entry(*entry, options);
  return promise;
}

void kernel_actor::stop_entry(process_entry& entry, stop_options options) {
  entry.stop_requested = true;
  if (options.immediate) {
    entry.extras().forced_reason = exit_reason{exit_kind::killed, {}};
    send_exit(entry.actor(), caf::exit_reason::kill);
    return;
  }
  if (entry.state == process_state::stopping)
    return;
  change_state(entry, process_state::stopping);
  send(entry.actor(), shutdown_atom::value);
  auto grace_ms = std::min(options.grace_ms, max_grace_ms);
  delayed_send(this, std::chrono::milliseconds{grace_ms},
               kill_atom::value, entry.pid(), ++entry.stop_token);
}

caf::result<spawn_result>
kernel_actor::handle_restart(const std::string& target) {
  auto entry = find_live(target);
  if (entry == nullptr) {
    if (auto remote = remote_target(target))
      return restart_remote(*remote);
    return not_found(target);
  }
  if (entry->extras().restart_waiter)
    return make_error(errc::invalid_state_transition,
                      "agent " + target + " is already restarting");
  if (auto remote = proxied(*entry))
    return restart_proxy(*entry, *remote);
  auto promise = make_response_promise<spawn_result>();
  entry->extras().restart_waiter = promise;
  stop_entry(*entry, {false, services_->config.default_grace_ms});
  return promise;
}

caf::result<caf::unit_t>
kernel_actor::handle_suspend(const std::string& target, bool suspend) {
  auto entry = find_live(target);
  if (entry == nullptr) {
    if (auto remote = remote_target(target))
      return suspend_remote(*remote, std::nullopt, suspend);
    return not_found(target);
  }
  auto to = suspend ? process_state::suspended : process_state::running;
  if (!is_valid_transition(entry->state, to))
    return table_.transition(*entry, to);
  // The agent of a proxy buffers its messages on its own node, and the
  // proxy changes state once that node confirms.
  if (auto remote = proxied(*entry))
    return suspend_remote(*remote, entry->pid(), suspend);
  apply_suspend(entry->pid(), suspend);
  return caf::unit;
}

void kernel_actor::apply_suspend(pid_type pid, bool suspend) {
  auto entry = table_.find(pid);
  if (entry == nullptr)
    return;
  auto to = suspend ? process_state::suspended : process_state::running;
  if (auto error = table_.transition(*entry, to)) {
    log(spdlog::level::warn, entry, describe(error));
    return;
  }
  auto from = suspend ? process_state::running : process_state::suspended;
  emit(*entry, from, std::nullopt);
  if (suspend)
    send(entry->actor(), suspend_atom::value);
  else
    send(entry->actor(), resume_atom::value);
}

process_info kernel_actor::snapshot(const process_entry& entry) const {
  const auto& cell = *entry.cell;
  const auto& request = *entry.request;
  auto extras = entry.find_extras();
  process_info info;
  info.pid = cell.pid;
  info.global = extras != nullptr && extras->global ? *extras->global
                                                    : cell.global;
  info.agent_id = cell.agent_id;
  info.agent_type = extras != nullptr && !extras->agent_type.empty()
                      ? extras->agent_type
                      : request.agent_type();
  info.backend = request.backend();
  info.node = extras != nullptr && !extras->node.empty()
                ? extras->node
                : services_->node_id();
  if (extras != nullptr)
    info.backend_details = extras->backend_details;
  info.state = entry.state;
  info.parent = cell.parent;
  if (auto supervision = entry.find_supervision())
    for (const auto& child : supervision->children)
      if (child.pid != 0)
        info.children.push_back(child.pid);
  info.caps = cell.caps;
  info.limits = cell.limits;
  info.usage.messages_in = cell.messages_in.load();
  info.usage.messages_out = cell.messages_out.load();
  info.usage.cpu_ns = cell.cpu_ns.load();
  info.usage.memory_bytes = cell.memory_bytes.load();
  info.usage.fuel = cell.fuel.load();
  info.restart = request.restart();
  info.restart_count = entry.restart_count;
  info.start_time_ms = entry.start_time_ms;
  return info;
}

caf::result<process_info>
kernel_actor::handle_inspect(const std::string& target) {
  if (auto entry = find_live(target)) {
    if (auto remote = proxied(*entry))
      return inspect_proxy(*entry, *remote);
    return snapshot(*entry);
  }
  if (auto exited = find_exited(target))
    return *exited;
  if (auto remote = remote_target(target))
    return inspect_remote(*remote);
  return not_found(target);
}

std::vector<process_info> kernel_actor::handle_list(bool include_exited) {
  std::vector<process_info> result;
  if (include_exited)
    result.assign(table_.exited().begin(), table_.exited().end());
  for (auto entry : table_.live())
    result.push_back(snapshot(*entry));
  return result;
}

caf::result<caf::unit_t> kernel_actor::handle_shutdown() {
  shutting_down_ = true;
  // No spawn outside the kernel gets past this. Those queued before join
  // the agents stopped below.
  services_->spawns.close();
  drain_spawns();
  auto live = table_.live();
  if (live.empty())
    return caf::unit;
  for (auto entry : live)
    stop_entry(*entry, {false, services_->config.default_grace_ms});
  shutdown_waiter_ = make_response_promise();
  return caf::delegated<caf::unit_t>{};
}

void kernel_actor::change_state(process_entry& entry, process_state to) {
  auto from = entry.state;
  if (auto error = table_.transition(entry, to)) {
    log(spdlog::level::err, &entry, describe(error));
    return;
  }
  emit(entry, from, std::nullopt);
}

void kernel_actor::emit(const process_entry& entry, process_state from,
                        std::optional<exit_reason> exit) {
  if (watchers_.empty())
    return;
  state_change change{entry.pid(), entry.agent_id(), from, entry.state,
                      std::move(exit), now_ms()};
  for (const auto& watcher : watchers_)
    send(watcher, change);
}

void kernel_actor::log(spdlog::level::level_enum level,
                       const process_entry* about,
                       const std::string& text) const {
  if (about == nullptr)
    corral::log(level, {services_->node_id(), kernel_pid, {}}, text);
  else
    corral::log(level, {services_->node_id(), about->pid(), about->agent_id()},
                text);
}

} // namespace corral
