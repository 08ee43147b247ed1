#pragma once

#include <optional>
#include <string>

#include "backends/tee/protocol.hpp"

namespace corral::tee {

/// Encodes a sealed frame's plaintext: the bytes of `to_binary(frame)`.
/// Deliver and done frames, which every round trip sends, are written
/// without cereal's streams.
std::string encode_frame(const channel_frame& frame);

/// Decodes a sealed frame's plaintext; nothing for bytes that are no frame.
/// Accepts exactly what `from_binary<channel_frame>` accepts, but reads
/// deliver and done frames without cereal's streams.
std::optional<channel_frame> decode_frame(const std::string& bytes);

} // namespace corral::tee
