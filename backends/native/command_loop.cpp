#include "backends/native/command_loop.hpp"

#include <nlohmann/json.hpp>

#include "actors/agent_context.hpp"
#include "actors/error.hpp"

namespace corral {

namespace {

std::string stats_of(const agent_context& ctx) {
  const auto& cell = ctx.cell();
  nlohmann::json stats{
    {"pid", ctx.pid()},
    {"agent_id", ctx.agent_id()},
    {"uptime_ms", ctx.uptime().count()},
    {"messages_in", cell.messages_in.load()},
    {"messages_out", cell.messages_out.load()},
    {"cpu_ns", cell.cpu_ns.load()},
  };
  return stats.dump();
}

} // namespace

std::optional<std::string> command_loop::on_message(agent_context& ctx,
                                                    const message& msg) {
  if (msg.topic == "ping")
    return "pong uptime_ms=" + std::to_string(ctx.uptime().count());
  if (msg.topic == "echo")
    return msg.payload;
  if (msg.topic == "suspend") {
    ctx.suspend_self();
    return "suspending";
  }
  if (msg.topic == "resume")
    return "running";
  if (msg.topic == "stats")
    return stats_of(ctx);
  ctx.fail_reply(make_error(errc::invalid_request,
                            "the command loop has no command " + msg.topic
                              + "; it handles ping, echo, suspend, resume "
                                "and stats"));
  return std::nullopt;
}

} // namespace corral
