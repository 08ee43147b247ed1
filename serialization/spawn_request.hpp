#pragma once

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

/// What a successful spawn returns.
struct spawn_result {
  pid_type pid = 0;
  std::string agent_id;
  global_pid global;
};

} // namespace corral
