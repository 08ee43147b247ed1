#include "examples/native/worker.hpp"

#include <stdexcept>

#include "actors/agent_context.hpp"
#include "actors/error.hpp"

namespace corral::examples {

std::optional<std::string> worker::on_message(agent_context& ctx,
                                              const message& msg) {
  if (msg.topic == "work")
    return "done: " + msg.payload;
  if (msg.topic == "crash")
    throw std::runtime_error("crash requested: " + msg.payload);
  ctx.fail_reply(make_error(errc::invalid_request,
                            "worker has no command " + msg.topic
                              + "; it handles work and crash"));
  return std::nullopt;
}

} // namespace corral::examples
