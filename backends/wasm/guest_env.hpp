#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "serialization/message.hpp"
#include "serialization/pid.hpp"

namespace corral::wasm {

/// Return codes of the `corral` imports (docs/wasm-abi.md).
enum abi_code : std::int32_t {
  abi_ok = 0,
  abi_invalid = -1,
  abi_unknown_target = -2,
  abi_denied = -3,
  abi_undeliverable = -4,
  abi_no_request = -5,
  abi_too_large = -6,
  abi_not_ready = -7,
};

/// What a guest's imports may ask of the agent that hosts it. The hosting
/// actor implements it; during spawn a stand-in returns `abi_not_ready` to
/// everything that needs a running agent.
class guest_env {
public:
  virtual ~guest_env() = default;

  /// The message being handled, or null outside a handler.
  virtual const message* current_message() const = 0;

  /// Replies to the current request.
  virtual std::int32_t reply(std::string payload) = 0;

  /// Sends a one-way message.
  virtual std::int32_t send(const std::string& target, std::string topic,
                            std::string payload)
    = 0;

  /// Sends a request; returns its correlation id or a negative code.
  virtual std::int64_t request(const std::string& target, std::string topic,
                               std::string payload, std::uint32_t timeout_ms)
    = 0;

  /// Publishes to a topic.
  virtual std::int32_t publish(std::string topic, std::string payload) = 0;

  /// Sends to every other live agent.
  virtual std::int32_t broadcast(std::string topic, std::string payload) = 0;

  /// Subscribes to (or, with `on` false, unsubscribes from) a topic.
  virtual std::int32_t subscribe(const std::string& topic, bool on) = 0;

  /// Writes a log line tagged with the agent's node, pid and agent_id.
  virtual void log(spdlog::level::level_enum level, std::string_view text)
    = 0;

  /// The agent's pid.
  virtual pid_type self_pid() const = 0;

  /// The agent's agent_id.
  virtual const std::string& self_id() const = 0;

  /// The spawn request's environment.
  virtual const std::map<std::string, std::string>& environment() const = 0;
};

} // namespace corral::wasm
