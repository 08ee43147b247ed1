#pragma once

#include <cstdint>
#include <string>

namespace corral {

/// Error codes of corral. One enum for every layer, so that an error keeps
/// its meaning when it crosses the CLI, the control endpoint or the network.
/// actors/ registers it as a CAF error category named "corral".
enum class errc : std::uint8_t {
  none = 0,
  process_not_found,
  invalid_state_transition,
  process_table_full,
  backend_not_available,
  capability_denied,
  resource_limit_exceeded,
  spawn_failed,
  timeout,
  invalid_request,
  node_unreachable,
  attestation_failed,
  agent_id_in_use,
  agent_type_unknown,
  mailbox_full,
  internal_error,
  /// The agent exited (crashed, was killed or stopped) before it replied.
  /// Appended last, so that the values of older codes stay the same.
  agent_exited,
};

/// Returns the snake_case name of `code`, e.g. "process_not_found".
const char* to_string(errc code);

/// Parses a name produced by `to_string`; returns false for an unknown name.
bool from_string(const std::string& name, errc& code);

/// An error as a plain value: the code plus a sentence naming the value and
/// what is wrong with it. Used where CAF is not available (this folder).
struct failure {
  errc code = errc::none;
  std::string detail;
};

/// Formats a failure as "code: detail".
std::string to_string(const failure& x);

} // namespace corral
