#include "examples/native/counter.hpp"

#include <charconv>

#include "actors/agent_context.hpp"
#include "actors/error.hpp"

namespace corral::examples {

std::optional<std::string> counter::on_message(agent_context& ctx,
                                               const message& msg) {
  if (msg.topic == "increment") {
    std::int64_t step = 1;
    if (!msg.payload.empty()) {
      auto end = msg.payload.data() + msg.payload.size();
      auto [last, error] = std::from_chars(msg.payload.data(), end, step);
      if (error != std::errc{} || last != end) {
        ctx.fail_reply(make_error(errc::invalid_request,
                                  "increment: payload " + msg.payload
                                    + " is not an integer"));
        return std::nullopt;
      }
    }
    value_ += step;
    return std::to_string(value_);
  }
  if (msg.topic == "get")
    return std::to_string(value_);
  if (msg.topic == "reset") {
    value_ = 0;
    return std::string{"0"};
  }
  ctx.fail_reply(make_error(errc::invalid_request,
                            "counter has no command " + msg.topic
                              + "; it handles increment, get and reset"));
  return std::nullopt;
}

} // namespace corral::examples
