#pragma once

#include <cstdint>
#include <string>

#include "serialization/pid.hpp"

namespace corral {

/// Distinguishes one-way sends from the two halves of a request-reply.
enum class message_kind : std::uint8_t {
  cast,    ///< one-way; no reply expected
  request, ///< the receiver's reply carries the same correlation_id
  reply,   ///< the answer to a request
  failure, ///< a request failed; the payload names the error
};

/// Returns "cast", "request", "reply" or "failure".
const char* to_string(message_kind x);

/// Parses a name produced by `to_string`; returns false for an unknown name.
bool from_string(const std::string& name, message_kind& x);

/// The envelope every backend uses, so native agents, WASM modules,
/// containers and enclaves can talk to each other and across nodes.
/// The payload is raw bytes held in a std::string.
struct message {
  global_pid from;
  global_pid to;
  std::string topic;
  std::string payload;
  /// Non-zero for requests and their replies.
  std::uint64_t correlation_id = 0;
  /// Carried along unchanged so that a chain of messages can be followed.
  std::uint64_t trace_id = 0;
  message_kind kind = message_kind::cast;
};

/// Builds the reply of `from` to `request`, with the request's topic,
/// correlation id and trace id. Moves the request's sender and topic into
/// the reply, for a caller that no longer needs the request.
inline message make_reply(message&& request, global_pid from,
                          std::string payload) {
  message reply;
  reply.from = std::move(from);
  reply.to = std::move(request.from);
  reply.topic = std::move(request.topic);
  reply.payload = std::move(payload);
  reply.correlation_id = request.correlation_id;
  reply.trace_id = request.trace_id;
  reply.kind = message_kind::reply;
  return reply;
}

/// Builds the reply like the overload above, copying only the fields the
/// reply takes from `request`.
inline message make_reply(const message& request, global_pid from,
                          std::string payload) {
  message fields;
  fields.from = request.from;
  fields.topic = request.topic;
  fields.correlation_id = request.correlation_id;
  fields.trace_id = request.trace_id;
  return make_reply(std::move(fields), std::move(from), std::move(payload));
}

} // namespace corral
