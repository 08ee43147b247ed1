#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "serialization/process_info.hpp"

namespace corral::cli {

/// Column names of `corral ps`; `with_exit` adds EXIT_REASON for --all.
std::vector<std::string> ps_header(bool with_exit);

/// One row of `corral ps`. UPTIME counts from the agent's start time to
/// `now_ms` and reads "-" for exited agents.
std::vector<std::string> ps_row(const process_info& info, std::int64_t now_ms,
                                bool with_exit);

/// Prints every field of `info` as "name: value" lines, for `inspect`.
void print_process(const process_info& info, std::int64_t now_ms);

/// Returns a one-line account of a state change, for `watch`, e.g.
/// "12:00:01.250  pid 3  worker-1  running -> exited  crashed{boom}".
std::string describe_change(const state_change& change);

} // namespace corral::cli
