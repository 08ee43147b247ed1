#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>

#include "serialization/capabilities.hpp"
#include "serialization/limits.hpp"
#include "serialization/pid.hpp"
#include "serialization/spawn_backend.hpp"
#include "serialization/supervision.hpp"

namespace corral {

/// The agent_type of the built-in command loop (ping, echo, stats, ...).
inline constexpr const char* default_agent_type = "command_loop";

/// Everything the kernel needs to start an agent, and to start it again.
struct spawn_request {
  /// Human name, unique per node among live agents. Required.
  std::string agent_id;
  /// Registered native behavior; the built-in command loop by default.
  std::string agent_type = default_agent_type;
  /// Absent means the node's default capabilities.
  std::optional<capabilities> caps;
  /// Absent means a top-level agent, supervised by the kernel.
  std::optional<pid_type> parent_pid;
  /// Passed to every backend (WASI environ, container -e, native context).
  std::map<std::string, std::string> env;
  spawn_backend backend = native_backend{};
  /// How this agent's parent restarts it.
  restart_type restart = restart_type::permanent;
  /// How this agent supervises the children it spawns.
  supervisor_spec supervision;
  struct limits limits;
};

/// Maximum length of an agent_id, in characters.
inline constexpr std::size_t max_agent_id_length = 128;

/// Returns what is wrong with `id` as an agent_id, or nothing when it is
/// valid. A valid id has 1 to 128 printable ASCII characters other than
/// space and ':' (which separates node and pid in a global pid), and is not
/// all digits (the CLI would read it as a pid).
std::optional<std::string> agent_id_error(const std::string& id);

/// What a successful spawn returns.
struct spawn_result {
  pid_type pid = 0;
  std::string agent_id;
  global_pid global;
};

} // namespace corral
