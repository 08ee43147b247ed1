#include "net/rate_limited_log.hpp"

#include "net/net_log.hpp"

namespace corral {

rate_limited_log::rate_limited_log(std::string node_id, std::size_t reasons,
                                   std::chrono::milliseconds interval)
  : node_id_(std::move(node_id)),
    interval_(interval),
    slots_(reasons == 0 ? 1 : reasons) {
}

void rate_limited_log::write(std::size_t reason,
                             spdlog::level::level_enum level,
                             const std::string& text,
                             std::chrono::steady_clock::time_point now) {
  if (reason >= slots_.size())
    reason = slots_.size() - 1;
  auto& entry = slots_[reason];
  if (entry.written && now - entry.last < interval_) {
    ++entry.suppressed;
    return;
  }
  auto line = text;
  if (entry.suppressed > 0)
    line += " (" + std::to_string(entry.suppressed)
            + " more like it since the previous line)";
  net_log(level, node_id_, line);
  entry.last = now;
  entry.written = true;
  entry.suppressed = 0;
}

} // namespace corral
