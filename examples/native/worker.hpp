#pragma once

#include "actors/agent.hpp"

namespace corral::examples {

/// A worker that crashes on demand, to show supervision: `work` replies
/// "done: PAYLOAD", `crash` throws, so the agent exits with
/// crashed{crash requested: PAYLOAD} and its supervisor restarts it.
class worker : public agent {
public:
  /// Handles one command.
  std::optional<std::string> on_message(agent_context& ctx,
                                        const message& msg) override;
};

} // namespace corral::examples
