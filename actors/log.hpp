#pragma once

#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "serialization/pid.hpp"

namespace corral {

/// The ids every log line carries, so that a line can be traced to its
/// node and agent. Use pid 0 and an empty agent_id for the kernel itself.
struct log_ids {
  std::string_view node;
  pid_type pid = kernel_pid;
  std::string_view agent_id;
};

/// Writes one line "node=N pid=P agent_id=A: text" at `level`.
void log(spdlog::level::level_enum level, const log_ids& ids,
         std::string_view text);

/// True when a line at `level` would be written; lets hot paths skip
/// building the text.
bool should_log(spdlog::level::level_enum level);

/// Sets the process-wide level from a name ("debug", "info", "warn",
/// "error", "off"); returns false for an unknown name.
bool set_log_level(const std::string& name);

} // namespace corral
