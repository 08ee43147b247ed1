#pragma once

// The body of a `batch` frame: several small payload messages sent as one
// frame, so that each costs a few bytes of framing instead of a ZeroMQ
// message, a header and a poll round. docs/wire-protocol.md describes the
// bytes; this file is the code form of that section.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace corral {

/// Bytes of the entry count at the start of a batch body (u32,
/// little-endian).
inline constexpr std::size_t batch_count_bytes = 4;

/// Bytes in front of each entry's body: kind (u8) and body size (u32,
/// little-endian).
inline constexpr std::size_t batch_entry_header_bytes = 5;

/// Maximum entries of one batch. A sender never writes more, and a
/// receiver rejects a batch that claims more (`invalid_count`).
inline constexpr std::uint32_t max_batch_entries = 8192;

/// Returns the bytes an entry with a body of `body_size` bytes adds to a
/// batch body.
inline std::size_t batch_entry_bytes(std::size_t body_size) {
  return batch_entry_header_bytes + body_size;
}

/// Clears `body` and writes an entry count of 0, ready for
/// `append_batch_entry`.
void begin_batch(std::string& body);

/// Appends one entry to a batch body started by `begin_batch` and adds one
/// to its entry count. The caller keeps the count within
/// `max_batch_entries` and each body below 4 GiB.
void append_batch_entry(std::string& body, std::uint8_t kind,
                        const char* data, std::size_t size);

/// Returns the entry count written at the start of `body`, or 0 for a body
/// shorter than the count.
std::uint32_t batch_entry_count(std::string_view body);

/// The reason a batch body was rejected.
enum class batch_error : std::uint8_t {
  none = 0,
  /// Fewer bytes than the count, an entry header or an entry body needs,
  /// e.g. because the count claims more entries than the body contains.
  truncated,
  /// Bytes left after the last counted entry: the count claims fewer
  /// entries than the body contains.
  trailing_bytes,
  /// An entry count of 0, or above `max_batch_entries`.
  invalid_count,
  /// An entry whose kind is not a payload kind (32 to 127).
  invalid_entry_kind,
};

/// Returns the snake_case name of `x`, e.g. "trailing_bytes".
const char* to_string(batch_error x);

/// One message of a batch; `body` points into the batch body.
struct batch_entry {
  std::uint8_t kind = 0;
  std::string_view body;
};

/// The entries of a batch body, or why it was rejected.
struct decoded_batch {
  /// Entries of an accepted batch. Empty when the batch was rejected.
  std::vector<batch_entry> entries;
  batch_error error = batch_error::none;
  /// Names the rejected value and the limit, for the log.
  std::string detail;
};

/// Reads and checks every entry of a batch body. The whole batch is
/// rejected when any part is invalid, so that a receiver delivers all of
/// its messages or none. Never throws except std::bad_alloc, and allocates
/// at most one entry per 5 bytes of `body`.
decoded_batch decode_batch(std::string_view body);

} // namespace corral
