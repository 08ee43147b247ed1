#include "net/transport_stats.hpp"

namespace corral {

const char* to_string(drop_reason x) {
  switch (x) {
    case drop_reason::bad_part_count:
      return "bad_part_count";
    case drop_reason::bad_identity:
      return "bad_identity";
    case drop_reason::truncated_header:
      return "truncated_header";
    case drop_reason::malformed_header:
      return "malformed_header";
    case drop_reason::unsupported_version:
      return "unsupported_version";
    case drop_reason::unknown_kind:
      return "unknown_kind";
    case drop_reason::invalid_lane:
      return "invalid_lane";
    case drop_reason::invalid_chunk:
      return "invalid_chunk";
    case drop_reason::oversized:
      return "oversized";
    case drop_reason::body_size_mismatch:
      return "body_size_mismatch";
    case drop_reason::malformed_body:
      return "malformed_body";
    case drop_reason::unhandled_kind:
      return "unhandled_kind";
    case drop_reason::reassembly_overflow:
      return "reassembly_overflow";
    case drop_reason::internal_error:
      return "internal_error";
    case drop_reason::key_mismatch:
      return "key_mismatch";
    case drop_reason::invalid_batch:
      return "invalid_batch";
  }
  return "unknown";
}

drop_reason to_drop_reason(frame_error x) {
  switch (x) {
    case frame_error::truncated:
      return drop_reason::truncated_header;
    case frame_error::unsupported_version:
      return drop_reason::unsupported_version;
    case frame_error::unknown_kind:
      return drop_reason::unknown_kind;
    case frame_error::invalid_lane:
      return drop_reason::invalid_lane;
    case frame_error::invalid_chunk:
      return drop_reason::invalid_chunk;
    case frame_error::oversized:
      return drop_reason::oversized;
    case frame_error::none:
    case frame_error::malformed:
      break;
  }
  return drop_reason::malformed_header;
}

nlohmann::json to_json(const transport_counters& x) {
  auto dropped = nlohmann::json::object();
  std::uint64_t dropped_total = 0;
  for (std::size_t i = 0; i < drop_reason_count; ++i) {
    dropped[to_string(static_cast<drop_reason>(i))] = x.dropped[i];
    dropped_total += x.dropped[i];
  }
  return {
    {"frames_sent", {{"control", x.frames_sent[0]}, {"bulk", x.frames_sent[1]}}},
    {"frames_received",
     {{"control", x.frames_received[0]}, {"bulk", x.frames_received[1]}}},
    {"bytes_sent", x.bytes_sent},
    {"bytes_received", x.bytes_received},
    {"messages_reassembled", x.messages_reassembled},
    {"batches_sent", x.batches_sent},
    {"messages_batched", x.messages_batched},
    {"batches_received", x.batches_received},
    {"send_queue_full", x.send_queue_full},
    {"send_dropped", x.send_dropped},
    {"control_send_failures", x.control_send_failures},
    {"handler_exceptions", x.handler_exceptions},
    {"refused_keys", x.refused_keys},
    {"members_without_key", x.members_without_key},
    {"busy_poll_hits", x.busy_poll_hits},
    {"dropped", std::move(dropped)},
    {"dropped_total", dropped_total},
  };
}

transport_counters atomic_transport_counters::snapshot() const {
  transport_counters x;
  for (std::size_t i = 0; i < 2; ++i) {
    x.frames_sent[i] = frames_sent[i];
    x.frames_received[i] = frames_received[i];
  }
  x.bytes_sent = bytes_sent;
  x.bytes_received = bytes_received;
  x.messages_reassembled = messages_reassembled;
  x.batches_sent = batches_sent;
  x.messages_batched = messages_batched;
  x.batches_received = batches_received;
  x.send_queue_full = send_queue_full;
  x.send_dropped = send_dropped;
  x.control_send_failures = control_send_failures;
  x.handler_exceptions = handler_exceptions;
  x.refused_keys = refused_keys;
  x.members_without_key = members_without_key;
  x.busy_poll_hits = busy_poll_hits;
  for (std::size_t i = 0; i < drop_reason_count; ++i)
    x.dropped[i] = dropped[i];
  return x;
}

} // namespace corral
