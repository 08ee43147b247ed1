#pragma once

#include <optional>
#include <string>

#include "actors/messages.hpp"

namespace corral {

class agent_context;

/// Base class of native agents. The node creates one instance per spawn
/// (and a fresh one per restart) and calls it from one thread at a time, so
/// members need no locks. An exception thrown from any hook crashes the
/// agent with `crashed{what()}`, and its supervisor decides what follows.
class agent {
public:
  virtual ~agent() = default;

  /// Runs once before the first message.
  virtual void on_start(agent_context&) {
  }

  /// Handles one message. For a request (`msg.kind == request`) the
  /// returned payload is the reply; return nothing and call
  /// `agent_context::defer_reply` to answer later. For a one-way message
  /// the return value is ignored.
  virtual std::optional<std::string> on_message(agent_context& ctx,
                                                const message& msg)
    = 0;

  /// Runs when an agent this one monitors exits.
  virtual void on_down(agent_context&, const down_notice&) {
  }

  /// Runs when a linked agent exits abnormally while this agent traps
  /// exits (`agent_context::trap_exits`); otherwise the agent exits too.
  virtual void on_exit_signal(agent_context&, const exit_signal&) {
  }

  /// Runs when a limit reaches 80%, or when a child reports one.
  virtual void on_resource_warning(agent_context&, const resource_warning&) {
  }

  /// Runs when the node asks the agent to stop. Return true to exit now;
  /// return false to finish work first and call `agent_context::exit`
  /// before the grace period ends, after which the agent is killed.
  virtual bool on_shutdown(agent_context&) {
    return true;
  }

  /// Estimated bytes this agent holds beyond its object, for the memory
  /// limit of native agents.
  virtual std::size_t memory_estimate() const {
    return 0;
  }
};

} // namespace corral
