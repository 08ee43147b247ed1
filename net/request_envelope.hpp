#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

namespace corral {

/// Reasons for which the control endpoint rejects a message before any
/// handler runs.
enum class envelope_error : std::uint8_t {
  none,
  /// Not exactly one body frame (after an optional empty delimiter).
  bad_frame_count,
  /// A body over max_request_bytes.
  oversized,
  /// A body that is not a JSON object.
  malformed_json,
  /// A tcp request without the endpoint's token.
  invalid_token,
};

/// One message from a control client as the ROUTER socket delivered it,
/// after the checks that need no handler.
struct request_envelope {
  /// ZeroMQ routing id of the client.
  std::string identity;
  /// True when an empty delimiter frame preceded the body (a REQ client),
  /// so the reply needs one too.
  bool delimiter = false;
  /// The parsed request. An object unless `error` is bad_frame_count,
  /// oversized or malformed_json.
  nlohmann::json request;
  envelope_error error = envelope_error::none;
  /// Description of the error for the reply, or empty.
  std::string detail;
};

/// Receives one message from `router` without blocking and checks it;
/// returns nothing when no message is waiting. When `token` is not empty,
/// the request must carry it in "token", which is then removed. Keeps at
/// most four frames of a message and discards the rest, so a peer cannot
/// make the endpoint buffer many frames.
std::optional<request_envelope> receive_request(zmq::socket_t& router,
                                                const std::string& token);

} // namespace corral
