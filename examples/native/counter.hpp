#pragma once

#include <cstdint>

#include "actors/agent.hpp"

namespace corral::examples {

/// An agent with state: `increment` adds the payload (default 1) and
/// replies with the new value, `get` replies with the value, `reset` sets
/// it to zero. The value lives in the agent, so a restart starts from 0.
class counter : public agent {
public:
  /// Handles one command.
  std::optional<std::string> on_message(agent_context& ctx,
                                        const message& msg) override;

private:
  std::int64_t value_ = 0;
};

} // namespace corral::examples
