// The kernel's spawns: checks, the backend's start, table entries, the
// spawns that other threads queued (spawn_inbox), and agents that a
// backend starts later (mark_started).

#include <algorithm>

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/kernel.hpp"
#include "actors/local_spawn.hpp"
#include "actors/router.hpp"

namespace corral {

caf::result<spawn_result> kernel_actor::handle_spawn(spawn_request request) {
  if (shutting_down_)
    return make_error(errc::spawn_failed,
                      "agent_id " + request.agent_id + ": node "
                        + services_->node_id() + " is shutting down");
  auto shared = std::make_shared<const spawn_request>(std::move(request));
  auto started = start_agent(shared, 0);
  if (!started)
    return started.error();
  auto& entry = **started;
  if (auto supervisor = supervisor_of(entry.parent()))
    supervisor->add(entry.request, entry.pid(), 0);
  if (entry.state == process_state::running)
    return result_of(entry);
  entry.extras().start_waiter = make_response_promise();
  return caf::delegated<spawn_result>{};
}

caf::error kernel_actor::check_parent(const spawn_request& request) {
  if (!request.parent_pid || *request.parent_pid == kernel_pid)
    return {};
  auto parent = table_.find(*request.parent_pid);
  if (parent == nullptr)
    return make_error(errc::process_not_found,
                      "parent_pid " + std::to_string(*request.parent_pid)
                        + " is not a live agent");
  if (!parent->cell->caps.can_spawn)
    return make_error(errc::capability_denied,
                      "agent " + parent->agent_id() + " (pid "
                        + std::to_string(parent->pid())
                        + ") may not spawn: it lacks can_spawn");
  if (parent->state == process_state::stopping)
    return make_error(errc::invalid_state_transition,
                      "parent " + parent->agent_id()
                        + " is stopping and cannot spawn children");
  return {};
}

caf::expected<process_entry*>
kernel_actor::start_agent(std::shared_ptr<const spawn_request> shared,
                          std::uint32_t restart_count) {
  const auto& request = *shared;
  if (auto error = check_agent_id(request.agent_id))
    return error;
  if (auto error = check_memory_request(request, services_->config))
    return error;
  if (auto error = check_parent(request))
    return error;
  auto name = backend_name(request.backend);
  auto impl = services_->backends.find(name);
  if (impl == nullptr)
    return make_error(errc::backend_not_available,
                      std::string{"backend "} + name
                        + " is not available on node " + services_->node_id()
                        + ": this build of corral does not include it");

  auto cell = make_agent_cell(*services_, request);
  // The name is taken before the agent runs: a spawn on another thread
  // (spawn_here) may claim it at the same time.
  auto max_live = services_->config.max_agents;
  auto claim = services_->agents.reserve(request.agent_id, cell->pid, max_live);
  if (claim.status != directory::claim::ok) {
    return_pid(*services_, cell->pid);
    return claim_error(claim, request.agent_id, services_->node_id(),
                       max_live);
  }

  spawn_context context{system(), request, cell, services_};
  auto outcome = impl->spawn(context);
  if (!outcome) {
    services_->agents.release(request.agent_id, cell->pid);
    return_pid(*services_, cell->pid);
    return outcome.error();
  }
  cell->set_actor(outcome->actor);
  report_exit_to_kernel(*services_, *cell);
  services_->agents.publish(cell);
  auto& inserted = insert_entry(std::move(cell), store(request),
                                restart_count, &*outcome);
  if (outcome->started)
    change_state(inserted, process_state::running);
  return &inserted;
}

// A new entry starts in `starting`, so there is no change to report yet.
// Watchers see its first real one: starting -> running, now for a backend
// that starts at once or later through mark_started, or starting ->
// exited when the agent dies first.
process_entry&
kernel_actor::insert_entry(std::shared_ptr<agent_cell> cell,
                           std::shared_ptr<const stored_request> request,
                           std::uint32_t restart_count,
                           const spawn_outcome* outcome) {
  process_entry entry;
  entry.restart_count = restart_count;
  entry.start_time_ms = now_ms();
  entry.request = std::move(request);
  entry.cell = std::move(cell);
  if (outcome != nullptr && !outcome->agent_type.empty())
    entry.extras().agent_type = outcome->agent_type;
  if (outcome != nullptr && !outcome->node.empty())
    entry.extras().node = outcome->node;
  if (outcome != nullptr && !outcome->details.empty())
    entry.extras().backend_details = outcome->details;
  auto& inserted = table_.insert(std::move(entry));
  // Debug level: spawning is a hot path in benchmarks and large fan-outs.
  if (should_log(spdlog::level::debug)) {
    auto info = snapshot(inserted);
    log(spdlog::level::debug, &inserted,
        "spawned (" + info.backend + ", type " + info.agent_type
          + ", parent " + std::to_string(info.parent) + ")");
  }
  return inserted;
}

void kernel_actor::drain_spawns() {
  if (!services_->spawns.has_items())
    return;
  auto batch = services_->spawns.take();
  for (auto& spawned : batch) {
    if (spawned.cell)
      register_spawn(spawned);
    else if (spawned.unwatch)
      remove_watcher(spawned.watcher);
    else
      add_watcher(std::move(spawned.watcher));
  }
  services_->spawns.recycle(std::move(batch));
}

void kernel_actor::add_watcher(caf::actor watcher) {
  monitor(watcher);
  watchers_.push_back(std::move(watcher));
}

void kernel_actor::remove_watcher(const caf::actor& watcher) {
  watchers_.erase(std::remove(watchers_.begin(), watchers_.end(), watcher),
                  watchers_.end());
}

// The caller has published the agent. The kernel adds its entry,
// supervises it like a child it spawned itself and lets it run. Launched
// from here, the children of one drain queue on the kernel's worker, so a
// spawning agent's worker keeps a short queue.
void kernel_actor::register_spawn(local_spawn& spawned) {
  auto pid = spawned.cell->pid;
  auto parent = spawned.cell->parent;
  // Packed here rather than by the caller, to keep the caller's work per
  // spawn small. `insert_entry` takes the start time here too, because the
  // agent first runs after this launch.
  auto request = std::make_shared<const stored_request>(
    spawned.cell->agent_id, std::move(spawned.request));
  auto& entry = insert_entry(std::move(spawned.cell), std::move(request), 0,
                             nullptr);
  if (!entry.cell->actor()) {
    // The deferred creation of its hosting actor failed (out of memory).
    if (auto supervisor = supervisor_of(parent))
      supervisor->add(entry.request, pid, 0);
    handle_exit(entry, {exit_kind::backend_failure,
                        "the hosting actor of agent "
                          + entry.cell->agent_id
                          + " could not be created (out of memory)"});
    return;
  }
  // Attached here rather than by the caller, to keep the caller's work per
  // spawn small. An agent that a message started and that has exited
  // already reports at once, and the kernel handles the report next.
  report_exit_to_kernel(*services_, *entry.cell);
  if (auto supervisor = supervisor_of(parent))
    supervisor->add(entry.request, pid, 0);
  change_state(entry, process_state::running);
  send(entry.actor(), launch_atom::value);
  // The parent began to stop, or the node to shut down, after the caller
  // checked: the child stops at once, as its siblings do.
  auto parent_entry = parent == kernel_pid ? nullptr : table_.find(parent);
  auto orphan = parent != kernel_pid
                && (parent_entry == nullptr
                    || parent_entry->state == process_state::stopping);
  if (shutting_down_ || orphan)
    stop_entry(entry, {false, services_->config.default_grace_ms});
}
spawn_result kernel_actor::result_of(const process_entry& entry) const {
  auto extras = entry.find_extras();
  if (extras != nullptr && extras->global)
    return {entry.pid(), entry.agent_id(), *extras->global};
  return {entry.pid(), entry.agent_id(), entry.cell->global};
}

// A proxy of a remote agent passes that agent's global pid, which then
// becomes the entry's (and the spawn result's) global pid.
void kernel_actor::mark_started(pid_type pid,
                                std::optional<global_pid> remote,
                                std::map<std::string, std::string> details) {
  auto entry = table_.find(pid);
  if (entry == nullptr || entry->state != process_state::starting)
    return;
  if (remote)
    entry->extras().global = std::move(*remote);
  if (!details.empty())
    entry->extras().backend_details = std::move(details);
  change_state(*entry, process_state::running);
  auto extras = entry->find_extras();
  if (extras != nullptr && extras->start_waiter) {
    extras->start_waiter->deliver(result_of(*entry));
    extras->start_waiter.reset();
  }
}

} // namespace corral
