#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "serialization/capabilities.hpp"
#include "serialization/exit_reason.hpp"
#include "serialization/limits.hpp"
#include "serialization/message.hpp"
#include "serialization/pid.hpp"
#include "serialization/supervision.hpp"

namespace corral {

/// Lifecycle states of a process-table entry:
/// starting -> running <-> suspended -> stopping -> exited.
enum class process_state : std::uint8_t {
  starting,
  running,
  suspended,
  stopping,
  exited,
};

/// Returns the snake_case name of `x`.
const char* to_string(process_state x);

/// Parses a name produced by `to_string`; returns false for an unknown name.
bool from_string(const std::string& name, process_state& x);

/// What an agent has consumed so far. Fields a backend cannot measure stay 0.
struct usage {
  std::uint64_t messages_in = 0;
  std::uint64_t messages_out = 0;
  std::uint64_t cpu_ns = 0;
  std::uint64_t memory_bytes = 0;
  std::uint64_t fuel = 0;
};

/// A snapshot of one process-table entry, as `inspect` and `ps` show it.
struct process_info {
  pid_type pid = 0;
  global_pid global;
  std::string agent_id;
  std::string agent_type;
  /// Backend name as in the JSON form ("Native", "Wasm", ...).
  std::string backend;
  /// Node that runs the agent (differs from `global.node` for Remote).
  std::string node;
  process_state state = process_state::starting;
  pid_type parent = kernel_pid;
  std::vector<pid_type> children;
  capabilities caps;
  struct limits limits;
  struct usage usage;
  restart_type restart = restart_type::permanent;
  std::uint32_t restart_count = 0;
  /// Milliseconds since the Unix epoch.
  std::int64_t start_time_ms = 0;
  std::optional<exit_reason> exit;
  /// Backend-specific facts, e.g. a Tee agent's enclave_type, measurement
  /// and whether it is simulated; empty for most backends.
  std::map<std::string, std::string> backend_details;
};

/// One state change of one agent, as `watch` streams it.
struct state_change {
  pid_type pid = 0;
  std::string agent_id;
  process_state from = process_state::starting;
  process_state to = process_state::starting;
  /// Set when `to` is exited.
  std::optional<exit_reason> exit;
  std::int64_t time_ms = 0;
};

/// Why a message could not be delivered.
enum class dead_letter_reason : std::uint8_t {
  unknown_target,
  exited_target,
  mailbox_full,
  timeout,
  capability_denied,
  /// The message does not fit where it had to go next, e.g. one frame of
  /// a Tee agent's enclave channel.
  too_large,
};

/// Returns the snake_case name of `x`.
const char* to_string(dead_letter_reason x);

/// Parses a name produced by `to_string`; returns false for an unknown name.
bool from_string(const std::string& name, dead_letter_reason& x);

/// An undeliverable message and why, as kept in the dead-letter queue.
struct dead_letter {
  struct message message;
  /// The address the sender used (pid, global pid or agent_id).
  std::string target;
  dead_letter_reason reason = dead_letter_reason::unknown_target;
  std::int64_t time_ms = 0;
};

} // namespace corral
