// Exits of agents and the supervision that follows them: the restart
// decision per restart type, restart intensity with escalation, backoff
// timers, and group restarts for one_for_all and rest_for_one.

#include <algorithm>

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/failover.hpp"
#include "actors/kernel.hpp"
#include "actors/router.hpp"

namespace corral {

// Only watchers are monitored. Agents report their exits through
// report_exit_to_kernel.
void kernel_actor::on_down(const caf::down_msg& down) {
  auto watcher = std::find_if(watchers_.begin(), watchers_.end(),
                              [&](const caf::actor& x) {
                                return x.address() == down.source;
                              });
  if (watcher != watchers_.end())
    watchers_.erase(watcher);
}

void kernel_actor::on_agent_down(pid_type pid, caf::actor_id id,
                                 const caf::error& error) {
  auto entry = table_.find(pid);
  // A report that names no live entry of this actor is stale.
  if (entry == nullptr || entry->actor().id() != id)
    return;
  auto extras = entry->find_extras();
  auto reason = extras != nullptr && extras->forced_reason
                  ? *extras->forced_reason
                  : from_exit_error(error);
  if (extras != nullptr && extras->start_waiter
      && error.category() == error_category) {
    // A backend that could not start the agent (e.g. the target node of a
    // remote spawn refused it) exits with the error code of the failure, and
    // the spawner gets that error rather than a generic spawn_failed.
    extras->start_waiter->deliver(error);
    extras->start_waiter.reset();
    extras->start_failed = true;
    reason = {exit_kind::backend_failure, describe(error)};
  }
  handle_exit(*entry, reason);
}

void kernel_actor::handle_exit(process_entry& entry,
                               const exit_reason& reason) {
  auto pid = entry.pid();
  auto parent = entry.parent();
  auto from = entry.state;
  entry.state = process_state::exited;
  services_->agents.remove(pid);
  emit(entry, from, reason);
  auto level = is_abnormal(reason) && !entry.stop_requested
                 ? spdlog::level::warn
                 : spdlog::level::debug;
  if (should_log(level))
    log(level, &entry, "exited: " + to_string(reason));

  notify_observers(entry, reason);
  auto extras = entry.find_extras();
  if (extras != nullptr)
    for (auto& waiter : extras->exit_waiters)
      waiter.deliver(reason);
  if (extras != nullptr && extras->start_waiter) {
    extras->start_waiter->deliver(make_error(
      errc::spawn_failed, "agent " + entry.agent_id()
                            + " exited while starting: " + to_string(reason)));
    extras->start_failed = true;
  }
  stop_children(entry);

  // Like Erlang's start_child, a spawn that failed leaves nothing to
  // supervise: the spawner has the error and decides what to do.
  auto release = entry.stop_requested
                 || (extras != nullptr && extras->start_failed);
  std::optional<caf::response_promise> restart_waiter;
  if (extras != nullptr)
    restart_waiter = std::move(extras->restart_waiter);
  auto request = entry.request;
  auto restart_count = entry.restart_count;
  // The history keeps what the agent consumed, for `ps --all` and inspect.
  table_.retire(pid, snapshot(entry), reason);

  if (restart_waiter) {
    restart_with_waiter(request, parent, pid, restart_count + 1,
                        std::move(*restart_waiter));
  } else if (release) {
    release_child(parent, pid);
  } else {
    supervise_exit(parent, pid, reason, from != process_state::starting);
  }
  if (shutdown_waiter_ && table_.live_count() == 0) {
    shutdown_waiter_->deliver(caf::unit);
    shutdown_waiter_.reset();
  }
}

void kernel_actor::notify_observers(process_entry& entry,
                                    const exit_reason& reason) {
  auto pid = entry.pid();
  auto extras = entry.find_extras();
  if (extras == nullptr)
    return;
  for (auto watcher_pid : extras->monitored_by)
    if (auto watcher = table_.find(watcher_pid))
      send(watcher->actor(), down_notice{pid, entry.agent_id(), reason});
  for (auto peer_pid : extras->links) {
    auto peer = table_.find(peer_pid);
    if (peer == nullptr)
      continue;
    if (auto peer_extras = peer->find_extras()) {
      auto& links = peer_extras->links;
      links.erase(std::remove(links.begin(), links.end(), pid), links.end());
    }
    if (reason.kind != exit_kind::normal)
      send(peer->actor(), exit_signal{pid, entry.agent_id(), reason});
  }
}

// Children do not outlive their parent: they get a graceful stop, and since
// the kernel asked for it, their exits are not supervised again.
void kernel_actor::stop_children(process_entry& entry) {
  auto supervision = entry.find_supervision();
  if (supervision == nullptr)
    return;
  auto& children = supervision->children;
  for (auto i = children.rbegin(); i != children.rend(); ++i)
    if (auto child = table_.find(i->pid))
      stop_entry(*child, {false, services_->config.default_grace_ms});
}

supervisor_state* kernel_actor::supervisor_of(pid_type pid) {
  if (pid == kernel_pid)
    return &root_;
  auto entry = table_.find(pid);
  return entry == nullptr ? nullptr : &entry->supervision();
}

// A child the kernel stopped on purpose leaves its supervisor, unless the
// stop was part of a group restart, which then may proceed.
void kernel_actor::release_child(pid_type parent, pid_type child) {
  auto supervisor = supervisor_of(parent);
  if (supervisor == nullptr)
    return;
  auto& awaiting = supervisor->awaiting_exit;
  auto waited = std::find(awaiting.begin(), awaiting.end(), child);
  auto slot = supervisor->slot_of(child);
  if (waited != awaiting.end()) {
    awaiting.erase(waited);
    if (slot)
      supervisor->set_pid(*slot, 0);
    restart_round(parent);
    return;
  }
  if (slot) {
    supervisor->remove(*slot);
    supervisor->compact();
  }
}

void kernel_actor::supervise_exit(pid_type parent, pid_type child,
                                  const exit_reason& reason, bool ran) {
  auto supervisor = supervisor_of(parent);
  if (supervisor == nullptr)
    return;
  auto slot = supervisor->slot_of(child);
  if (!slot)
    return;
  auto& failed = supervisor->children[*slot];
  note_exit_for_failover(failed, ran, reason);
  if (shutting_down_ || !should_restart(failed.request->restart(), reason)) {
    supervisor->remove(*slot);
    supervisor->compact();
    return;
  }
  supervisor->set_pid(*slot, 0);
  auto& intensity
    = parent == kernel_pid ? failed.intensity : supervisor->intensity;
  if (!intensity.record(supervisor->spec, std::chrono::steady_clock::now())) {
    give_up(parent, *supervisor, *slot);
    return;
  }

  auto delay = backoff_delay(supervisor->spec, intensity.recent());
  auto group = restart_group(supervisor->spec.strategy, *slot,
                             supervisor->children.size());
  for (auto i = group.rbegin(); i != group.rend(); ++i) {
    auto sibling = table_.find(supervisor->children[*i].pid);
    if (sibling == nullptr)
      continue;
    supervisor->awaiting_exit.push_back(sibling->pid());
    stop_entry(*sibling, {false, services_->config.default_grace_ms});
  }
  for (auto index : group)
    if (!supervisor->children[index].removed)
      supervisor->children[index].restart_pending = true;
  supervisor->backoff_elapsed = false;
  auto round = ++supervisor->round;
  corral::log(spdlog::level::info,
              {services_->node_id(), child, failed.request->agent_id()},
              "restarting in " + std::to_string(delay.count())
                + " ms (restart " + std::to_string(failed.restart_count + 1)
                + ", supervisor pid " + std::to_string(parent) + ")");
  delayed_send(this, delay, timer_atom::value, restart_atom::value, parent,
               round);
}

// The supervisor exceeded its intensity. The kernel stops restarting that
// one child; an agent supervisor exits as crashed, so that its own parent
// decides next.
void kernel_actor::give_up(pid_type parent, supervisor_state& supervisor,
                           std::size_t slot) {
  auto why = "more than " + std::to_string(supervisor.spec.max_restarts)
             + " restarts in " + std::to_string(supervisor.spec.period_ms)
             + " ms";
  if (parent == kernel_pid) {
    corral::log(spdlog::level::err,
                {services_->node_id(), kernel_pid,
                 supervisor.children[slot].request->agent_id()},
                "the kernel gave up restarting this top-level agent: " + why);
    supervisor.remove(slot);
    supervisor.compact();
    return;
  }
  auto entry = table_.find(parent);
  if (entry == nullptr)
    return;
  log(spdlog::level::err, entry,
      "supervisor gives up and exits: " + why);
  entry->extras().forced_reason = exit_reason{exit_kind::crashed,
                                     "restart intensity exceeded: " + why};
  send_exit(entry->actor(), caf::exit_reason::kill);
}

void kernel_actor::on_restart_timer(pid_type parent, std::uint64_t round) {
  auto supervisor = supervisor_of(parent);
  if (supervisor == nullptr || supervisor->round != round)
    return;
  supervisor->backoff_elapsed = true;
  restart_round(parent);
}

// Starts every pending slot again, in start order, once the backoff has
// elapsed and every sibling stopped for the group has exited.
void kernel_actor::restart_round(pid_type parent) {
  auto supervisor = supervisor_of(parent);
  if (shutting_down_ || supervisor == nullptr || !supervisor->backoff_elapsed
      || !supervisor->awaiting_exit.empty())
    return;
  for (std::size_t index = 0; index < supervisor->children.size(); ++index) {
    auto& slot = supervisor->children[index];
    if (!slot.restart_pending || slot.removed)
      continue;
    slot.restart_pending = false;
    if (slot.pid != 0)
      continue;
    if (slot.request->restart() == restart_type::temporary) {
      supervisor->remove(index);
      continue;
    }
    // start_agent inserts into the table, which never moves live entries,
    // so `supervisor` and `slot` stay valid.
    auto started = restart_from(*slot.request, parent, slot.restart_count + 1,
                                slot.refused_nodes.get());
    if (!started) {
      corral::log(spdlog::level::err,
                  {services_->node_id(), parent, slot.request->agent_id()},
                  "restart failed, the child is dropped: "
                    + describe(started.error()));
      supervisor->remove(index);
      continue;
    }
    // The slot shares the new entry's request. After a failover it names
    // the node the agent runs on now, so later restarts start from there.
    slot.request = (*started)->request;
    supervisor->set_pid(index, (*started)->pid());
    ++slot.restart_count;
  }
  supervisor->compact();
}

// Unpacks the stored request, moves it to another node when its node is
// down or in `refused` (failover), and starts it.
caf::expected<process_entry*>
kernel_actor::restart_from(const stored_request& stored, pid_type parent,
                           std::uint32_t restart_count,
                           const refused_node_map* refused) {
  auto request = stored.unpack();
  if (!request)
    return request.error();
  static const refused_node_map none;
  auto placed = place_restart(*services_, parent, std::move(*request),
                              refused != nullptr ? *refused : none);
  if (!placed)
    return placed.error();
  return start_agent(std::move(*placed), restart_count);
}

// A restart on request keeps the child's place among its siblings.
void kernel_actor::restart_with_waiter(
  std::shared_ptr<const stored_request> request, pid_type parent,
  pid_type old_pid, std::uint32_t restart_count,
  caf::response_promise waiter) {
  if (shutting_down_) {
    release_child(parent, old_pid);
    waiter.deliver(make_error(errc::spawn_failed,
                              "agent_id " + request->agent_id() + ": node "
                                + services_->node_id()
                                + " is shutting down"));
    return;
  }
  auto started = restart_from(*request, parent, restart_count);
  auto supervisor = supervisor_of(parent);
  auto slot = supervisor ? supervisor->slot_of(old_pid) : std::nullopt;
  if (!started) {
    if (slot) {
      supervisor->remove(*slot);
      supervisor->compact();
    }
    waiter.deliver(started.error());
    return;
  }
  auto& entry = **started;
  if (slot) {
    supervisor->set_pid(*slot, entry.pid());
    supervisor->children[*slot].request = entry.request;
    supervisor->children[*slot].restart_count = restart_count;
  } else if (supervisor != nullptr) {
    supervisor->add(entry.request, entry.pid(), restart_count);
  }
  if (entry.state == process_state::running)
    waiter.deliver(result_of(entry));
  else
    entry.extras().start_waiter = std::move(waiter);
}

} // namespace corral
