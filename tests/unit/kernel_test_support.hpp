#pragma once

// Helpers shared by the kernel suites: error codes of results, spawn
// requests for probes and workers, probe command payloads and dead-letter
// queries.

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "actors/error.hpp"
#include "actors/node.hpp"
#include "serialization/json_forms.hpp"
#include "tests/harness/node_fixture.hpp"

namespace corral {

// Lets BOOST_TEST print the operands of a failed comparison. Non-template
// overloads, because Boost.Test's own fallback is a template that a
// template here would make ambiguous.
#define CORRAL_PRINT_BY_NAME(type)                                           \
  inline std::ostream& boost_test_print_type(std::ostream& out, type x) {    \
    return out << to_string(x);                                              \
  }

CORRAL_PRINT_BY_NAME(errc)
CORRAL_PRINT_BY_NAME(exit_kind)
CORRAL_PRINT_BY_NAME(process_state)
CORRAL_PRINT_BY_NAME(restart_type)
CORRAL_PRINT_BY_NAME(send_scope_kind)
CORRAL_PRINT_BY_NAME(dead_letter_reason)
CORRAL_PRINT_BY_NAME(message_kind)

#undef CORRAL_PRINT_BY_NAME

inline std::ostream& boost_test_print_type(std::ostream& out,
                                           const global_pid& x) {
  return out << to_string(x);
}

} // namespace corral

namespace corral::testing {

/// Bound for waits on things that should happen at once. It only catches
/// hangs, so it is generous for a loaded machine.
inline constexpr std::chrono::milliseconds patience{5000};

/// Returns the milliseconds that passed since `start`.
inline long long ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now() - start)
    .count();
}

/// Returns the corral error code of `error`, or errc::none.
inline errc code_of(const caf::error& error) {
  return to_failure(error).code;
}

/// Returns the corral error code of a failed result, or errc::none.
template <class T>
errc code_of(const caf::expected<T>& x) {
  return x ? errc::none : code_of(x.error());
}

/// Returns a spawn request for an agent of `agent_type`.
inline spawn_request request_for(const std::string& agent_id,
                                 const std::string& agent_type
                                 = default_agent_type) {
  spawn_request request;
  request.agent_id = agent_id;
  request.agent_type = agent_type;
  return request;
}

/// Returns the payload of the probe's send, request, publish and broadcast
/// commands.
inline std::string command_args(const std::string& to,
                                const std::string& topic,
                                const std::string& payload = {}) {
  nlohmann::json args{{"to", to}, {"topic", topic}, {"payload", payload}};
  return args.dump();
}

/// Returns the payload of the probe's spawn command.
inline std::string spawn_args(const spawn_request& request) {
  return to_json(request).dump();
}

/// Returns the kept dead letters addressed to `target`.
inline std::vector<dead_letter> dead_letters_to(node& n,
                                                const std::string& target) {
  std::vector<dead_letter> result;
  for (auto& letter : n.dead_letters())
    if (letter.target == target)
      result.push_back(std::move(letter));
  return result;
}

/// True when `x` is a message observation with `topic`.
inline auto is_message(const std::string& topic) {
  return [topic](const observation& x) {
    return x.kind == "message" && x.msg.topic == topic;
  };
}

/// True when `x` is an observation of `kind` about agent `pid`.
inline auto is_about(const std::string& kind, pid_type pid) {
  return [kind, pid](const observation& x) {
    return x.kind == kind && x.pid == pid;
  };
}

/// Waits until the live agent `agent_id` has a pid other than `old_pid`
/// and returns it, or returns 0 after `timeout`.
inline pid_type wait_for_new_pid(node_fixture& fixture,
                                 const std::string& agent_id,
                                 pid_type old_pid,
                                 std::chrono::milliseconds timeout
                                 = patience) {
  pid_type current = 0;
  wait_until(
    [&] {
      current = fixture.pid_of(agent_id);
      return current != 0 && current != old_pid;
    },
    timeout);
  return current != old_pid ? current : 0;
}

/// Waits until `target` has exited and returns its exit reason, or
/// returns nothing after `timeout`.
inline std::optional<exit_reason>
wait_for_exit(node& n, const std::string& target,
              std::chrono::milliseconds timeout = patience) {
  std::optional<exit_reason> reason;
  wait_until(
    [&] {
      auto info = n.inspect(target);
      if (info && info->state == process_state::exited)
        reason = info->exit;
      return reason.has_value();
    },
    timeout);
  return reason;
}

} // namespace corral::testing
