#include "serialization/frame_batch.hpp"

#include "serialization/wire_frame.hpp"

namespace corral {

namespace {

void write_u32(char* out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

std::uint32_t read_u32(const char* in) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i)
    value |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i]))
             << (8 * i);
  return value;
}

decoded_batch rejected(batch_error error, std::string detail) {
  decoded_batch result;
  result.error = error;
  result.detail = std::move(detail);
  return result;
}

} // namespace

void begin_batch(std::string& body) {
  body.assign(batch_count_bytes, '\0');
}

void append_batch_entry(std::string& body, std::uint8_t kind,
                        const char* data, std::size_t size) {
  char entry_header[batch_entry_header_bytes];
  entry_header[0] = static_cast<char>(kind);
  write_u32(entry_header + 1, static_cast<std::uint32_t>(size));
  body.append(entry_header, sizeof entry_header);
  body.append(data, size);
  write_u32(body.data(), read_u32(body.data()) + 1);
}

std::uint32_t batch_entry_count(std::string_view body) {
  return body.size() < batch_count_bytes ? 0 : read_u32(body.data());
}

const char* to_string(batch_error x) {
  switch (x) {
    case batch_error::none:
      return "none";
    case batch_error::truncated:
      return "truncated";
    case batch_error::trailing_bytes:
      return "trailing_bytes";
    case batch_error::invalid_count:
      return "invalid_count";
    case batch_error::invalid_entry_kind:
      return "invalid_entry_kind";
  }
  return "unknown";
}

decoded_batch decode_batch(std::string_view body) {
  if (body.size() < batch_count_bytes)
    return rejected(batch_error::truncated,
                    "batch body has " + std::to_string(body.size())
                      + " bytes, fewer than its 4-byte entry count");
  auto count = read_u32(body.data());
  if (count == 0 || count > max_batch_entries)
    return rejected(batch_error::invalid_count,
                    "batch entry count " + std::to_string(count)
                      + " is outside 1 to "
                      + std::to_string(max_batch_entries));
  // Every entry needs at least its header, so a count that the body cannot
  // hold is rejected before anything is allocated for it.
  auto rest = body.size() - batch_count_bytes;
  if (count > rest / batch_entry_header_bytes)
    return rejected(batch_error::truncated,
                    "batch claims " + std::to_string(count)
                      + " entries but its " + std::to_string(rest)
                      + " bytes after the count hold at most "
                      + std::to_string(rest / batch_entry_header_bytes));

  decoded_batch result;
  result.entries.reserve(count);
  std::size_t offset = batch_count_bytes;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (body.size() - offset < batch_entry_header_bytes)
      return rejected(batch_error::truncated,
                      "batch entry " + std::to_string(i) + " of "
                        + std::to_string(count)
                        + " has no room for its 5-byte header");
    auto kind = static_cast<std::uint8_t>(body[offset]);
    auto size = read_u32(body.data() + offset + 1);
    offset += batch_entry_header_bytes;
    if (!is_payload_kind(kind))
      return rejected(batch_error::invalid_entry_kind,
                      "batch entry " + std::to_string(i) + " has kind "
                        + std::to_string(kind)
                        + ", which is not a payload kind (32 to 127)");
    if (size > body.size() - offset)
      return rejected(batch_error::truncated,
                      "batch entry " + std::to_string(i) + " of "
                        + std::to_string(count) + " claims "
                        + std::to_string(size) + " bytes but "
                        + std::to_string(body.size() - offset) + " remain");
    result.entries.push_back(batch_entry{kind, body.substr(offset, size)});
    offset += size;
  }
  if (offset != body.size())
    return rejected(batch_error::trailing_bytes,
                    "batch of " + std::to_string(count) + " entries has "
                      + std::to_string(body.size() - offset)
                      + " bytes after its last entry");
  return result;
}

} // namespace corral
