#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>

#include "actors/log.hpp"
#include "actors/messages.hpp"
#include "actors/node_services.hpp"
#include "actors/process_table.hpp"
#include "actors/remote_routes.hpp"

namespace corral {

/// The per-node actor that owns the process table: it spawns, stops,
/// suspends and restarts agents, keeps names and history, streams state
/// changes to watchers, relays links and monitors, and supervises children
/// on behalf of their parents (the kernel itself supervises top-level
/// agents). Every change of the table happens inside this actor.
class kernel_actor : public caf::event_based_actor {
public:
  /// Creates the kernel of the node whose services are `services`.
  kernel_actor(caf::actor_config& cfg, std::shared_ptr<node_services> services);

  /// Returns the kernel's message handlers.
  caf::behavior make_behavior() override;

  /// Adds the agents spawned outside the kernel to the table, then handles
  /// `x`. Draining first means that every message, whatever it names, finds
  /// the agents that its sender could have heard of.
  caf::invoke_message_result consume(caf::mailbox_element& x) override;

private:
  // Spawning (kernel_spawn.cpp).
  caf::result<spawn_result> handle_spawn(spawn_request request);
  caf::expected<process_entry*>
  start_agent(std::shared_ptr<const spawn_request> request,
                                            std::uint32_t restart_count);
  caf::error check_parent(const spawn_request& request);
  spawn_result result_of(const process_entry& entry) const;
  process_entry& insert_entry(std::shared_ptr<agent_cell> cell,
                              std::shared_ptr<const stored_request> request,
                              std::uint32_t restart_count,
                              const spawn_outcome* outcome);
  void drain_spawns();
  void add_watcher(caf::actor watcher);
  /// Stops sending state changes to `watcher`.
  void remove_watcher(const caf::actor& watcher);
  void register_spawn(local_spawn& spawned);
  /// Moves a later-started agent to running, with what the backend learned
  /// while starting it.
  void mark_started(pid_type pid, std::optional<global_pid> remote,
                    std::map<std::string, std::string> details = {});

  // Operations on live agents (kernel.cpp).
  caf::result<exit_reason> handle_stop(const std::string& target,
                                       stop_options options);
  caf::result<spawn_result> handle_restart(const std::string& target);
  caf::result<caf::unit_t> handle_suspend(const std::string& target,
                                          bool suspend);
  caf::result<process_info> handle_inspect(const std::string& target);
  std::vector<process_info> handle_list(bool include_exited);
  caf::result<caf::unit_t> handle_link(pid_type pid, const std::string& target);
  caf::result<caf::unit_t> handle_monitor(pid_type pid,
                                          const std::string& target);
  caf::result<caf::unit_t> handle_unlink(pid_type pid,
                                         const std::string& target);
  caf::result<caf::unit_t> handle_demonitor(pid_type pid,
                                            const std::string& target);
  caf::result<caf::unit_t> handle_shutdown();
  process_entry* find_live(const std::string& target);
  const process_info* find_exited(const std::string& target) const;
  caf::error not_found(const std::string& target) const;
  process_info snapshot(const process_entry& entry) const;
  void stop_entry(process_entry& entry, stop_options options);
  void change_state(process_entry& entry, process_state to);
  void apply_suspend(pid_type pid, bool suspend);

  // Agents of other nodes, by their proxy or their global pid
  // (kernel_remote.cpp).
  std::optional<global_pid> remote_target(const std::string& target) const;
  std::optional<global_pid> proxied(const process_entry& entry) const;
  template <class T, class Pick>
  caf::result<T> ask_remote(const global_pid& agent, remote_control control,
                            Pick pick);
  caf::result<exit_reason> stop_remote(const global_pid& agent,
                                       stop_options options);
  caf::result<spawn_result> restart_proxy(process_entry& entry,
                                          const global_pid& agent);
  caf::result<spawn_result> restart_remote(const global_pid& agent);
  caf::result<caf::unit_t> suspend_remote(const global_pid& agent,
                                          std::optional<pid_type> proxy,
                                          bool suspend);
  caf::result<process_info> inspect_proxy(const process_entry& entry,
                                          const global_pid& agent);
  caf::result<process_info> inspect_remote(const global_pid& agent);
  caf::result<caf::unit_t> watch_remote(control_op op, pid_type pid,
                                        const global_pid& agent);
  void emit(const process_entry& entry, process_state from,
            std::optional<exit_reason> exit);

  // Exits and supervision (kernel_exit.cpp).
  void on_down(const caf::down_msg& down);
  void on_agent_down(pid_type pid, caf::actor_id id, const caf::error& error);
  void handle_exit(process_entry& entry, const exit_reason& reason);
  void notify_observers(process_entry& entry, const exit_reason& reason);
  void stop_children(process_entry& entry);
  supervisor_state* supervisor_of(pid_type pid);
  void supervise_exit(pid_type parent, pid_type child,
                      const exit_reason& reason, bool ran);
  void release_child(pid_type parent, pid_type child);
  void give_up(pid_type parent, supervisor_state& supervisor,
               std::size_t slot);
  void on_restart_timer(pid_type parent, std::uint64_t round);
  void restart_round(pid_type parent);
  caf::expected<process_entry*>
  restart_from(const stored_request& stored, pid_type parent,
               std::uint32_t restart_count,
               const refused_node_map* refused = nullptr);
  void restart_with_waiter(std::shared_ptr<const stored_request> request,
                           pid_type parent,
                           pid_type old_pid, std::uint32_t restart_count,
                           caf::response_promise waiter);

  void log(spdlog::level::level_enum level, const process_entry* about,
           const std::string& text) const;

  std::shared_ptr<node_services> services_;
  process_table table_;
  supervisor_state root_;
  std::vector<caf::actor> watchers_;
  std::optional<caf::response_promise> shutdown_waiter_;
  /// Set by the node's shutdown: from then on nothing starts, neither a
  /// spawn nor a restart, so that the last exit ends the shutdown.
  bool shutting_down_ = false;
};

} // namespace corral
