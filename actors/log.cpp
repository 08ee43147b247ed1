#include "actors/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace corral {

namespace {

// Logs go to stderr so that stdout stays free for command output (--json).
spdlog::logger& logger() {
  static auto instance = [] {
    auto result = spdlog::stderr_color_mt("corral");
    result->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    return result;
  }();
  return *instance;
}

} // namespace

void log(spdlog::level::level_enum level, const log_ids& ids,
         std::string_view text) {
  auto& out = logger();
  if (!out.should_log(level))
    return;
  out.log(level, "node={} pid={} agent_id={}: {}", ids.node, ids.pid,
          ids.agent_id.empty() ? std::string_view{"-"} : ids.agent_id, text);
}

bool should_log(spdlog::level::level_enum level) {
  return logger().should_log(level);
}

bool set_log_level(const std::string& name) {
  auto level = spdlog::level::from_str(name);
  if (level == spdlog::level::off && name != "off")
    return false;
  logger().set_level(level);
  return true;
}

} // namespace corral
