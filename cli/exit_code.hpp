#pragma once

#include "serialization/errc.hpp"

namespace corral::cli {

// Exit codes of the `corral` executable.

inline constexpr int exit_ok = 0;
/// The operation failed, e.g. the agent was not found.
inline constexpr int exit_failed = 1;
/// The command line was invalid.
inline constexpr int exit_usage = 2;
/// No node replied on the control address.
inline constexpr int exit_unreachable = 3;

/// Returns exit_unreachable for node_unreachable and exit_failed otherwise.
int exit_code_for(const failure& error);

} // namespace corral::cli
