#include "serialization/wire_frame.hpp"

#include "serialization/json_reader.hpp"
#include "serialization/node_id.hpp"

namespace corral {

const char* to_string(lane x) {
  switch (x) {
    case lane::control:
      return "control";
    case lane::bulk:
      return "bulk";
  }
  return "unknown";
}

bool from_string(const std::string& name, lane& x) {
  for (auto candidate : {lane::control, lane::bulk}) {
    if (name == to_string(candidate)) {
      x = candidate;
      return true;
    }
  }
  return false;
}

bool is_membership_kind(std::uint8_t kind) {
  return kind >= static_cast<std::uint8_t>(frame_kind::hello)
         && kind <= static_cast<std::uint8_t>(frame_kind::leave);
}

bool is_payload_kind(std::uint8_t kind) {
  return kind >= first_payload_kind && kind <= last_payload_kind;
}

std::string kind_name(std::uint8_t kind) {
  switch (static_cast<frame_kind>(kind)) {
    case frame_kind::hello:
      return "hello";
    case frame_kind::heartbeat:
      return "heartbeat";
    case frame_kind::heartbeat_ack:
      return "heartbeat_ack";
    case frame_kind::gossip:
      return "gossip";
    case frame_kind::leave:
      return "leave";
    case frame_kind::batch:
      return "batch";
    case frame_kind::spawn:
      return "spawn";
    case frame_kind::spawn_reply:
      return "spawn_reply";
    case frame_kind::message:
      return "message";
    case frame_kind::monitor:
      return "monitor";
    case frame_kind::demonitor:
      return "demonitor";
    case frame_kind::monitor_down:
      return "monitor_down";
    case frame_kind::link:
      return "link";
    case frame_kind::unlink:
      return "unlink";
    case frame_kind::link_exit:
      return "link_exit";
    case frame_kind::module_request:
      return "module_request";
    case frame_kind::module_data:
      return "module_data";
    case frame_kind::stop:
      return "stop";
    case frame_kind::control:
      return "control";
    case frame_kind::control_reply:
      return "control_reply";
    case frame_kind::signal:
      return "signal";
    case frame_kind::publish:
      return "publish";
  }
  if (is_payload_kind(kind))
    return "payload kind " + std::to_string(kind);
  return "kind " + std::to_string(kind);
}

const char* to_string(member_state x) {
  switch (x) {
    case member_state::joining:
      return "joining";
    case member_state::alive:
      return "alive";
    case member_state::suspect:
      return "suspect";
    case member_state::down:
      return "down";
    case member_state::left:
      return "left";
  }
  return "unknown";
}

bool from_string(const std::string& name, member_state& x) {
  for (auto candidate : {member_state::joining, member_state::alive,
                         member_state::suspect, member_state::down,
                         member_state::left}) {
    if (name == to_string(candidate)) {
      x = candidate;
      return true;
    }
  }
  return false;
}

const char* to_string(frame_error x) {
  switch (x) {
    case frame_error::none:
      return "none";
    case frame_error::truncated:
      return "truncated";
    case frame_error::malformed:
      return "malformed";
    case frame_error::unsupported_version:
      return "unsupported_version";
    case frame_error::unknown_kind:
      return "unknown_kind";
    case frame_error::invalid_lane:
      return "invalid_lane";
    case frame_error::invalid_chunk:
      return "invalid_chunk";
    case frame_error::oversized:
      return "oversized";
  }
  return "unknown";
}

namespace {

// The header codec is written out by hand, because cereal's archives need
// a stream per call, which cost more than the rest of a small message's
// path. The bytes are those of cereal's PortableBinary archive: the
// endianness flag, then each field in the flag's byte order.

template <class Int>
void put(char*& out, Int value) {
  for (std::size_t i = 0; i < sizeof(Int); ++i)
    *out++ = static_cast<char>((value >> (8 * i)) & 0xff);
}

template <class Int>
Int get(const char*& in, bool little_endian) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < sizeof(Int); ++i) {
    auto shift = little_endian ? 8 * i : 8 * (sizeof(Int) - 1 - i);
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(*in++))
             << shift;
  }
  return static_cast<Int>(value);
}

} // namespace

void write_frame_header(const frame_header& header,
                        char (&out)[frame_header_bytes]) {
  char* next = out;
  *next++ = 1; // little-endian
  put(next, header.version);
  put(next, header.kind);
  put(next, header.lane);
  put(next, header.message_id);
  put(next, header.chunk_index);
  put(next, header.chunk_count);
  put(next, header.body_size);
}

std::string encode_frame_header(const frame_header& header) {
  char bytes[frame_header_bytes];
  write_frame_header(header, bytes);
  return std::string(bytes, sizeof bytes);
}

namespace {

decoded_header rejected(frame_error error, std::string detail) {
  decoded_header result;
  result.error = error;
  result.detail = std::move(detail);
  return result;
}

/// Checks the fields of a header that cereal could read.
decoded_header check_header(const frame_header& header,
                            const frame_limits& limits) {
  if (header.version != wire_protocol_version)
    return rejected(frame_error::unsupported_version,
                    "wire protocol version " + std::to_string(header.version)
                      + " is not supported; this node speaks version "
                      + std::to_string(wire_protocol_version));
  if (!is_membership_kind(header.kind) && !is_payload_kind(header.kind)
      && header.kind != static_cast<std::uint8_t>(frame_kind::batch))
    return rejected(frame_error::unknown_kind,
                    "unknown frame kind " + std::to_string(header.kind));
  if (header.lane > static_cast<std::uint8_t>(lane::bulk))
    return rejected(frame_error::invalid_lane,
                    "invalid lane " + std::to_string(header.lane)
                      + " (expected 0 for control or 1 for bulk)");
  if (header.chunk_count == 0 || header.chunk_count > limits.max_chunk_count)
    return rejected(frame_error::invalid_chunk,
                    "chunk_count " + std::to_string(header.chunk_count)
                      + " is outside 1 to "
                      + std::to_string(limits.max_chunk_count));
  if (header.chunk_index >= header.chunk_count)
    return rejected(frame_error::invalid_chunk,
                    "chunk_index " + std::to_string(header.chunk_index)
                      + " is not below chunk_count "
                      + std::to_string(header.chunk_count));
  if (header.body_size > limits.max_body_bytes)
    return rejected(frame_error::oversized,
                    "body_size " + std::to_string(header.body_size)
                      + " exceeds the maximum of "
                      + std::to_string(limits.max_body_bytes) + " bytes");
  decoded_header result;
  result.header = header;
  return result;
}

} // namespace

decoded_header decode_frame_header(std::string_view bytes,
                                   const frame_limits& limits) {
  if (bytes.size() < frame_header_bytes)
    return rejected(frame_error::truncated,
                    "header has " + std::to_string(bytes.size())
                      + " bytes, fewer than "
                      + std::to_string(frame_header_bytes));
  if (bytes.size() > frame_header_bytes)
    return rejected(frame_error::malformed,
                    "header has " + std::to_string(bytes.size())
                      + " bytes instead of "
                      + std::to_string(frame_header_bytes));
  auto flag = static_cast<unsigned char>(bytes[0]);
  if (flag > 1)
    return rejected(frame_error::malformed,
                    "unknown endianness flag " + std::to_string(flag)
                      + " (expected 1 for little-endian or 0 for big-endian)");
  bool little_endian = flag == 1;
  const char* next = bytes.data() + 1;
  frame_header header;
  header.version = get<std::uint16_t>(next, little_endian);
  header.kind = get<std::uint8_t>(next, little_endian);
  header.lane = get<std::uint8_t>(next, little_endian);
  header.message_id = get<std::uint64_t>(next, little_endian);
  header.chunk_index = get<std::uint32_t>(next, little_endian);
  header.chunk_count = get<std::uint32_t>(next, little_endian);
  header.body_size = get<std::uint32_t>(next, little_endian);
  return check_header(header, limits);
}

std::optional<std::string> wire_address_error(const std::string& address) {
  if (address.size() > max_address_length)
    return "address has " + std::to_string(address.size())
           + " characters, more than the maximum of "
           + std::to_string(max_address_length);
  if (address.rfind("tcp://", 0) != 0 || address.size() == 6)
    return "address " + quote_for_error(address)
           + " is not of the form tcp://HOST:PORT";
  return std::nullopt;
}

std::optional<std::string> body_error(const hello_body& x) {
  if (auto error = node_id_error(x.node_id))
    return "hello: " + *error;
  if (auto error = wire_address_error(x.address))
    return "hello: " + *error;
  if (x.protocol_version != wire_protocol_version)
    return "hello: protocol_version " + std::to_string(x.protocol_version)
           + " is not supported; this node speaks version "
           + std::to_string(wire_protocol_version);
  return std::nullopt;
}

std::optional<std::string> body_error(const heartbeat_body&) {
  return std::nullopt;
}

std::optional<std::string> body_error(const heartbeat_ack_body&) {
  return std::nullopt;
}

std::optional<std::string> body_error(const member_record& x) {
  if (auto error = node_id_error(x.node_id))
    return *error;
  return wire_address_error(x.address);
}

std::optional<std::string> body_error(const gossip_body& x) {
  for (std::size_t i = 0; i < x.members.size(); ++i)
    if (auto error = body_error(x.members[i]))
      return "gossip: member " + std::to_string(i) + ": " + *error;
  return std::nullopt;
}

std::optional<std::string> body_error(const leave_body&) {
  return std::nullopt;
}

} // namespace corral
