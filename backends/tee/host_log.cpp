#include "backends/tee/host_log.hpp"

#include "serialization/utf8.hpp"

namespace corral::tee {

std::string host_log_line(std::string_view text) {
  auto line = printable(std::string{text.substr(0, max_host_log_bytes)});
  if (text.size() > max_host_log_bytes)
    line += " [cut " + std::to_string(text.size() - max_host_log_bytes)
            + " more bytes]";
  return line;
}

} // namespace corral::tee
