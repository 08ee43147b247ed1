#pragma once

// The line protocol between a container agent and its node: one JSON
// object per line on the agent's stdin and stdout. docs/container-protocol.md
// is the reference for agent authors.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include <spdlog/common.h>

namespace corral::container {

/// The agent is ready for messages.
struct ready_line {};

/// The agent's reply to the request with `id`.
struct reply_line {
  std::uint64_t id = 0;
  std::string payload;
};

/// Fails the request with `id` with `message`.
struct error_line {
  std::uint64_t id = 0;
  std::string message;
};

/// A one-way message to another agent.
struct send_line {
  std::string to;
  std::string topic;
  std::string payload;
};

/// A request to another agent; the node writes a response with `ref`.
struct request_line {
  std::uint64_t ref = 0;
  std::string to;
  std::string topic;
  std::string payload;
  std::uint64_t timeout_ms = 5000;
};

/// A message to every subscriber of `topic`.
struct publish_line {
  std::string topic;
  std::string payload;
};

/// A line for the node log.
struct log_line {
  spdlog::level::level_enum level = spdlog::level::info;
  std::string text;
};

/// One valid line from the agent.
using agent_line = std::variant<ready_line, reply_line, error_line, send_line,
                                request_line, publish_line, log_line>;

/// Parses one stdout line; on failure returns nullopt and sets `error` to
/// what is wrong with it.
std::optional<agent_line> parse_agent_line(const std::string& line,
                                           std::string& error);

/// Returns the line that hands a message to the agent. `id` is non-zero
/// for a request, and the agent replies to it with a reply or error line.
std::string encode_message(std::uint64_t id, const std::string& from,
                           const std::string& topic,
                           const std::string& payload);

/// Returns the line that completes the agent's request `ref` with a
/// payload.
std::string encode_response(std::uint64_t ref, const std::string& payload);

/// Returns the line that fails the agent's request `ref`.
std::string encode_response_error(std::uint64_t ref,
                                  const std::string& message);

/// Returns the line that tells the agent to exit.
std::string encode_shutdown();

} // namespace corral::container
