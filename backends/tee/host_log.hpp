#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace corral::tee {

/// Bytes of an enclave host's log text that the node logs; the rest is
/// cut. The WASM `log` import cuts a guest's line to the same length.
inline constexpr std::size_t max_host_log_bytes = 4096;

/// Returns the text of a host's log frame as one log line, cut to
/// `max_host_log_bytes` with a note of the bytes cut. The text is passed
/// through `printable` because the host is not trusted: a newline in it
/// would start a forged line of the node's log.
std::string host_log_line(std::string_view text);

} // namespace corral::tee
