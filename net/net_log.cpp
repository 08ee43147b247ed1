#include "net/net_log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace corral {

namespace {

spdlog::logger& logger() {
  static auto instance = [] {
    auto result = spdlog::stderr_color_mt("corral.net");
    result->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    return result;
  }();
  return *instance;
}

} // namespace

void net_log(spdlog::level::level_enum level, std::string_view node_id,
             std::string_view text) {
  auto& out = logger();
  if (!out.should_log(level))
    return;
  out.log(level, "node={} net: {}",
          node_id.empty() ? std::string_view{"-"} : node_id, text);
}

bool should_log_repeat(std::uint64_t count) {
  return count <= 10 || count % 1000 == 0;
}

} // namespace corral
