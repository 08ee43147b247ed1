#pragma once

// Shapes and limits shared by the control endpoint and its client.
// docs/control-protocol.md describes the protocol for users.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "serialization/errc.hpp"

namespace corral {

/// Version of the request and reply shapes; `ping` returns it.
inline constexpr int control_protocol_version = 1;

/// Largest request frame the endpoint handles, in bytes. Larger frames up
/// to `max_received_frame_bytes` get an error reply.
inline constexpr std::size_t max_request_bytes = 1024 * 1024;

/// Largest frame the endpoint receives at all, in bytes. ZeroMQ closes the
/// connection of a peer that sends more (ZMQ_MAXMSGSIZE), so such a peer
/// gets no reply, but the endpoint never buffers more than this per frame.
inline constexpr std::int64_t max_received_frame_bytes = 16 * 1024 * 1024;

/// Returns {"ok":true}.
nlohmann::json make_ok_reply();

/// Returns {"ok":false,"error":{"code":"...","detail":"..."}}.
nlohmann::json make_error_reply(const failure& error);

/// Returns the failure an error reply carries, or nothing for a reply with
/// "ok":true. A reply of neither shape is an internal_error.
std::optional<failure> reply_failure(const nlohmann::json& reply);

/// Serializes `value` as compact JSON text for one frame. Invalid UTF-8 in
/// strings is replaced by U+FFFD instead of throwing.
std::string to_frame_text(const nlohmann::json& value);

/// Largest reply frame the endpoint sends, because a corral client closes
/// the connection on a larger one and would only see a timeout.
inline constexpr std::size_t max_reply_bytes
  = static_cast<std::size_t>(max_received_frame_bytes);

/// Serializes `reply` like `to_frame_text`. A reply above `max_reply_bytes`
/// becomes a `resource_limit_exceeded` error reply with the same "id".
std::string to_reply_text(const nlohmann::json& reply);

/// Compares two tokens in time that depends only on their lengths, so that
/// a client cannot guess a token byte by byte from reply times.
bool tokens_equal(const std::string& given, const std::string& expected);

/// Returns 32 random bytes as 64 lowercase hex digits, for a TCP control
/// endpoint that was started without a token.
std::string make_control_token();

} // namespace corral
