#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "actors/agent_cell.hpp"
#include "actors/log.hpp"
#include "actors/messages.hpp"
#include "actors/node_services.hpp"
#include "actors/pending_requests.hpp"

namespace corral {

/// A reply that an agent delivers after its handler returned.
class deferred_reply {
public:
  /// Sends `payload` as the reply; later calls do nothing.
  void deliver(std::string payload);

  /// Fails the request with `error`; later calls do nothing.
  void fail(caf::error error);

  /// True until a reply or failure has been sent.
  bool pending() const {
    return promise_.pending();
  }

private:
  friend class agent_context;
  caf::response_promise promise_;
  message request_;
};

/// What an agent can do: send, request, publish, spawn children, monitor,
/// link, log. Every backend's hosting actor owns one, so capability checks,
/// routing and dead letters work the same for all of them.
class agent_context {
public:
  using reply_handler = std::function<void(message&)>;
  using error_handler = std::function<void(const caf::error&)>;
  using spawn_handler = std::function<void(caf::expected<spawn_result>)>;

  /// Creates the context of the agent in `cell`, hosted by `self`.
  agent_context(caf::event_based_actor* self, std::shared_ptr<agent_cell> cell,
                std::shared_ptr<node_services> services,
                std::map<std::string, std::string> env);

  /// This agent's pid.
  pid_type pid() const {
    return cell_->pid;
  }

  /// This agent's name.
  const std::string& agent_id() const {
    return cell_->agent_id;
  }

  /// This agent's global pid ("node:pid").
  const global_pid& global() const {
    return cell_->global;
  }

  /// The pid of the agent that spawned this one (0: the kernel).
  pid_type parent() const {
    return cell_->parent;
  }

  /// The environment from the spawn request.
  const std::map<std::string, std::string>& env() const {
    return env_ ? *env_ : no_env();
  }

  /// Time since this agent started.
  std::chrono::milliseconds uptime() const;

  /// Sends a one-way message to a pid, "node:pid" or agent_id. An
  /// undeliverable message goes to the dead-letter queue and the error
  /// is returned.
  caf::error send(const std::string& target, std::string topic,
                  std::string payload);

  /// Sends a request; exactly one of the handlers runs, `on_error` also
  /// after `timeout`.
  void request(const std::string& target, std::string topic,
               std::string payload, std::chrono::milliseconds timeout,
               reply_handler on_reply, error_handler on_error);

  /// Sends to every subscriber of `topic`, checked against can_publish.
  caf::error publish(const std::string& topic, std::string payload);

  /// Sends to every live agent of the node except this one.
  caf::error broadcast(const std::string& topic, std::string payload);

  /// Receives what others publish to `topic` from now on.
  void subscribe(const std::string& topic);

  /// Stops receiving `topic`.
  void unsubscribe(const std::string& topic);

  /// Spawns a child that this agent supervises with its own spec. `done`
  /// runs in a later message handler of this agent, never inside `spawn`.
  void spawn(spawn_request request, spawn_handler done);

  /// Runs the callbacks of spawns that finished on this agent's thread.
  /// The hosting actor calls it for every `spawned_atom` it receives.
  void run_spawn_callbacks();

  /// Delivers `on_down` when `target` exits (at once if it already has).
  void monitor(const std::string& target, error_handler on_error = {});

  /// Links this agent with `target`: when either exits abnormally, the
  /// other gets an exit signal.
  void link(const std::string& target, error_handler on_error = {});

  /// Removes the link with `target`, if any.
  void unlink(const std::string& target);

  /// Stops the down notices this agent would get for `target`.
  void demonitor(const std::string& target);

  /// Turns exit signals from linked agents into `on_exit_signal` calls
  /// instead of exiting.
  void trap_exits(bool enabled) {
    trap_exits_ = enabled;
  }

  /// True when exit signals are delivered instead of ending the agent.
  bool traps_exits() const {
    return trap_exits_;
  }

  /// Takes over the reply to the request being handled, so that it can be
  /// sent after the handler returns. Only valid inside `on_message` for a
  /// request.
  deferred_reply defer_reply();

  /// True when the current handler took over its reply.
  bool reply_deferred() const {
    return reply_deferred_;
  }

  /// Fails the request being handled with `error` instead of a reply.
  void fail_reply(caf::error error) {
    reply_error_ = std::move(error);
  }

  /// Returns and clears the error set by `fail_reply`.
  caf::error take_reply_error() {
    return std::move(reply_error_);
  }

  /// Asks the kernel to suspend this agent: later messages are held until
  /// a resume (one with topic "resume" still gets through).
  void suspend_self();

  /// Asks the kernel to resume this agent.
  void resume_self();

  /// Ends this agent with `reason` after the current handler.
  void exit(exit_reason reason);

  /// Sends `warning` to this agent's supervisor: its parent, or the kernel
  /// for a top-level agent.
  void warn_supervisor(const resource_warning& warning);

  /// Writes a log line with this agent's node, pid and agent_id.
  void log(spdlog::level::level_enum level, std::string_view text) const;

  /// The hosting actor; backends use it for timers and requests.
  caf::event_based_actor* self() const {
    return self_;
  }

  /// The shared cell with this agent's identity and counters.
  agent_cell& cell() const {
    return *cell_;
  }

  /// The node's shared services.
  node_services& services() const {
    return *services_;
  }

  /// Makes the hosting actor log and drop error messages that are not
  /// replies. CAF's default handler would end the agent at the first one,
  /// although such an error (a peer's unexpected_message, for example) is
  /// not about this agent.
  void ignore_stray_errors();

  /// The "$down" message that agents outside the C++ API (WASM, container,
  /// Tee) receive instead of `on_down`, so that all of them read the same
  /// JSON payload: {"pid", "agent_id", "reason"}.
  message down_message(const down_notice& notice) const;

  /// Logs that this agent exits because of `signal`, with the linked
  /// agent's pid, agent_id and reason, before the backend ends it.
  void log_linked_exit(const exit_signal& signal) const;

  /// Drops this context's share of the agent's cell. The hosting actor
  /// calls it once the agent has exited, because the cell stores a strong
  /// handle to that actor and the two would otherwise keep each other
  /// alive. No other member may be used afterwards.
  void release_cell() {
    cell_.reset();
  }

  /// Times out overdue requests; the hosting actor calls it for every
  /// `deadline_atom` it receives.
  void expire_requests() {
    if (pending_)
      pending_->expire(self_);
  }

  /// Called by the hosting actor before a handler runs.
  void begin_message(const message* current) {
    current_ = current;
    reply_deferred_ = false;
    reply_error_ = caf::error{};
  }

private:
  message make_envelope(const agent_cell& receiver, std::string topic,
                        std::string payload, message_kind kind) const;

  caf::event_based_actor* self_;
  std::shared_ptr<agent_cell> cell_;
  std::shared_ptr<node_services> services_;
  // Allocated only when used, because most agents have no environment and
  // never send a request.
  static const std::map<std::string, std::string>& no_env();
  std::unique_ptr<const std::map<std::string, std::string>> env_;
  std::chrono::steady_clock::time_point started_;
  const message* current_ = nullptr;
  bool reply_deferred_ = false;
  caf::error reply_error_;
  bool trap_exits_ = false;
  std::uint64_t next_correlation_ = 1;
  std::unique_ptr<pending_requests> pending_;
  /// Results of spawns done on this thread whose callbacks wait for the
  /// `spawned_atom` sent to self, or null while none wait.
  std::unique_ptr<
    std::vector<std::pair<spawn_handler, caf::expected<spawn_result>>>>
    spawn_callbacks_;
};

} // namespace corral
