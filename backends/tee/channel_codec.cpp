#include "backends/tee/channel_codec.hpp"

namespace corral::tee {

std::string encode_frame(const channel_frame& frame) {
  return to_binary(frame);
}

std::optional<channel_frame> decode_frame(const std::string& bytes) {
  auto decoded = from_binary<channel_frame>(bytes);
  if (!decoded)
    return std::nullopt;
  return std::move(*decoded);
}

} // namespace corral::tee
