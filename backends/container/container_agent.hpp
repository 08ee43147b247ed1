#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <caf/response_promise.hpp>

#include "actors/agent_context.hpp"
#include "actors/hosting_actor.hpp"
#include "backends/container/container_session.hpp"
#include "backends/container/protocol.hpp"

namespace corral::container {

/// Sent by a container agent to itself when its ready line is overdue.
using ready_timeout_atom = caf::atom_constant<caf::atom("ctr_rdy_to")>;
/// Sent by a container agent to itself when a shutdown has waited long
/// enough for the agent to exit on its own.
using escalate_atom = caf::atom_constant<caf::atom("ctr_escal")>;

/// Settings of one container agent besides its session.
struct agent_options {
  /// Image name, for messages.
  std::string image;
  std::chrono::milliseconds ready_timeout{30'000};
  std::size_t max_invalid_lines = 100;
  /// The engine settings' line and stdin limits, for messages.
  std::size_t max_line_bytes = 1 << 20;
  std::size_t max_stdin_bytes = 8 << 20;
  /// Time from the shutdown line until the engine's `stop` starts.
  std::chrono::milliseconds shutdown_wait{2'500};
  /// Grace period the engine's `stop` gives between SIGTERM and SIGKILL.
  std::chrono::seconds stop_grace{3};
  /// Requests the agent may have unanswered at once.
  std::size_t max_pending = 1024;
  /// The agent printed its ready line before the actor attached (warm
  /// pool), so the actor starts running at once.
  bool ready = false;
};

/// The CAF actor hosting one container agent. It turns messages into lines
/// on the agent's stdin and lines from its stdout into replies, sends,
/// publishes and logs, and turns the container's exit into the agent's
/// exit reason. All I/O happens on the session's thread, so no handler
/// here blocks.
class container_agent : public hosting_actor {
public:
  /// Hosts the container of `session` as the agent described by `cell`.
  container_agent(caf::actor_config& cfg,
                  std::shared_ptr<container_session> session,
                  std::shared_ptr<agent_cell> cell,
                  std::shared_ptr<node_services> services,
                  std::map<std::string, std::string> env,
                  agent_options options);

  /// Returns the starting behavior, or the running one for a warm start.
  caf::behavior make_behavior() override;

  /// Kills a container that is still running and fails open requests.
  void on_exit() override;

private:
  /// A request handed to the agent, waiting for its reply or error line.
  struct pending_request {
    message request;
    caf::response_promise promise;
  };

  caf::behavior starting();
  caf::behavior running();
  void on_ready();
  void on_line(const std::string& text);
  void on_long_line(std::uint64_t bytes);
  void on_invalid(const std::string& what);
  void handle(agent_line& line);
  std::optional<pending_request> take_pending(std::uint64_t id,
                                              const std::string& line_kind);
  void handle_reply(reply_line& line);
  void handle_error(error_line& line);
  void handle_request(request_line& line);
  void write_response(std::uint64_t ref, std::string line);
  caf::result<message> accept(message& msg);
  void forward(message& msg, caf::response_promise promise);
  void reject(const message& msg, caf::response_promise& promise,
              const std::string& why);
  void on_shutdown();
  void on_ended(const container_end& end);
  bool killed_at_memory_limit(const container_end& end) const;
  void fail_start(const std::string& detail);
  void end_agent(exit_reason reason);
  void fail_pending(const std::string& reason);

  std::shared_ptr<container_session> session_;
  agent_context ctx_;
  agent_options options_;

  std::map<std::uint64_t, pending_request> pending_;
  std::deque<std::pair<message, caf::response_promise>> held_;
  std::uint64_t next_id_ = 1;
  std::size_t invalid_lines_ = 0;
  bool started_ = false;
  bool suspended_ = false;
  bool stopping_ = false;
  bool ended_ = false;
};

} // namespace corral::container
