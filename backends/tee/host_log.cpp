#include "backends/tee/host_log.hpp"

namespace corral::tee {

std::string host_log_line(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  auto head = text.substr(0, max_host_log_bytes);
  std::string line;
  line.reserve(head.size() + 32);
  for (char c : head) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      line += "\\x";
      line += hex[byte >> 4];
      line += hex[byte & 0xf];
    } else {
      line += c;
    }
  }
  if (text.size() > head.size())
    line += " [cut " + std::to_string(text.size() - head.size())
            + " more bytes]";
  return line;
}

} // namespace corral::tee
