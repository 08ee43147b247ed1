#pragma once

#include "actors/agent.hpp"

namespace corral {

/// The built-in agent (agent_type "command_loop"). Topics: `ping` replies
/// "pong" with the uptime, `echo` replies with the payload, `suspend` and
/// `resume` ask the kernel to change the agent's state, `stats` replies
/// with the agent's counters as JSON. Other topics fail the request with
/// invalid_request.
class command_loop : public agent {
public:
  /// Handles one command.
  std::optional<std::string> on_message(agent_context& ctx,
                                        const message& msg) override;
};

} // namespace corral
