#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/expected.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/messages.hpp"
#include "actors/node_services.hpp"

namespace corral {

/// Counters of a whole node, as `corral stats` shows them.
struct node_stats {
  std::string node_id;
  std::size_t live_agents = 0;
  std::uint64_t spawned = 0;
  std::uint64_t dead_letters = 0;
  std::uint64_t dead_letters_dropped = 0;
  std::int64_t uptime_ms = 0;
};

/// Receives the result of an asynchronous node call, on a CAF scheduler
/// thread (in deterministic mode, inside `run_pending` or `advance_time`).
/// It must not block, because it runs on a scheduler thread.
template <class T>
using result_callback = std::function<void(caf::expected<T>)>;

/// One corral node in this process: a CAF actor system, its kernel and the
/// shared services. The synchronous methods are for callers outside the
/// actor world (the CLI, the control endpoint, tests); agents use their
/// `agent_context` instead. Targets are a decimal pid, "node:pid" or an
/// agent_id. Destroying the node stops every agent and waits for them.
class node {
public:
  /// Starts a node with `config` that runs agents on `backends`.
  node(node_config config, backend_registry backends);

  /// Stops every agent (graceful, then killed) and the actor system.
  /// NOTE: with CAF 0.17.6, destroy the node on the thread that created
  /// it. That thread keeps a thread-local reference to CAF's logger, and the
  /// actor system's destructor waits for the logger to go away, which then
  /// never happens.
  ~node();

  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// The node's id.
  const std::string& id() const;

  /// The actor system, e.g. to spawn plain CAF actors next to agents.
  caf::actor_system& system();

  /// The kernel actor; send it the atoms of actors/messages.hpp.
  const caf::actor& kernel() const;

  /// The services shared by the node's actors.
  node_services& services();

  /// The same services as a shared pointer, for actors that outlive a call.
  std::shared_ptr<node_services> shared_services() const {
    return services_;
  }

  /// Spawns an agent.
  caf::expected<spawn_result> spawn(const spawn_request& request);

  /// Stops an agent and returns its exit reason once it has exited.
  caf::expected<exit_reason> stop(const std::string& target,
                                  stop_options options);

  /// Stops an agent with the node's default grace period.
  caf::expected<exit_reason> stop(const std::string& target);

  /// Stops an agent and starts it again from the same request: a new pid,
  /// the same agent_id.
  caf::expected<spawn_result> restart(const std::string& target);

  /// Holds the agent's messages until `resume`.
  caf::error suspend(const std::string& target);

  /// Delivers the messages held since `suspend`.
  caf::error resume(const std::string& target);

  /// Returns the entry of a live agent or, failing that, of the latest
  /// exited one with that pid or agent_id.
  caf::expected<process_info> inspect(const std::string& target);

  /// Returns the live agents, and the kept exited ones if asked.
  caf::expected<std::vector<process_info>> list(bool include_exited = false);

  /// Sends a request from outside the node's agents (its `from` is the
  /// kernel's pid) and waits at most `timeout` for the reply.
  caf::expected<message> request(const std::string& target, std::string topic,
                                 std::string payload,
                                 std::chrono::milliseconds timeout);

  // Asynchronous forms of the calls above, for callers that must not hold
  // a thread while an agent works or a grace period runs (the control
  // endpoint). Each returns at once and passes the same result that the
  // blocking form returns to `done`, exactly once.

  /// Spawns an agent and passes the result to `done`.
  void spawn(const spawn_request& request, result_callback<spawn_result> done);

  /// Stops an agent and passes its exit reason to `done`.
  void stop(const std::string& target, stop_options options,
            result_callback<exit_reason> done);

  /// Restarts an agent and passes its new pid to `done`.
  void restart(const std::string& target, result_callback<spawn_result> done);

  /// Sends a request like `request` and passes the reply to `done`.
  void request(const std::string& target, std::string topic,
               std::string payload, std::chrono::milliseconds timeout,
               result_callback<message> done);

  /// Sends a one-way message from outside the node's agents.
  caf::error send(const std::string& target, std::string topic,
                  std::string payload);

  /// Sends to every subscriber of `topic`.
  caf::error publish(const std::string& topic, std::string payload);

  /// Subscribes `watcher` to every state change (a `state_change` message
  /// each) until it exits or calls `unwatch`.
  void watch(const caf::actor& watcher);

  /// Ends a subscription made with `watch`.
  void unwatch(const caf::actor& watcher);

  /// Returns the dead letters kept, oldest first.
  std::vector<dead_letter> dead_letters() const;

  /// Returns the node's counters.
  node_stats stats() const;

  /// In deterministic mode, runs every pending message; returns how many
  /// were handled. Does nothing otherwise.
  std::size_t run_pending();

  /// In deterministic mode, moves the virtual clock forward, fires the
  /// timers that became due and runs the messages that follow. Returns the
  /// number of timers and messages handled.
  std::size_t advance_time(std::chrono::milliseconds duration);

private:
  caf::scheduler::test_coordinator* coordinator();

  template <class T, class... Ts>
  caf::expected<T> await(const caf::actor& dest,
                         std::chrono::milliseconds timeout, Ts&&... xs);

  template <class T, class... Ts>
  caf::expected<T> await_deterministic(const caf::actor& dest,
                                       std::chrono::milliseconds timeout,
                                       Ts&&... xs);

  template <class T, class... Ts>
  caf::expected<T> ask(Ts&&... xs);

  template <class T, class... Ts>
  void await_async(const caf::actor& dest, std::chrono::milliseconds timeout,
                   result_callback<T> done, Ts&&... xs);

  std::shared_ptr<node_services> services_;
  caf::actor_system_config config_;
  std::unique_ptr<caf::actor_system> system_;
};

} // namespace corral
