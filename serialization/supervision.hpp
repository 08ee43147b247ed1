#pragma once

#include <cstdint>
#include <string>

namespace corral {

/// When a child is restarted after it exits (Erlang/OTP restart types).
enum class restart_type : std::uint8_t {
  permanent, ///< always
  transient, ///< only after an abnormal exit
  temporary, ///< never
};

/// Returns "permanent", "transient" or "temporary".
const char* to_string(restart_type x);

/// Parses a name produced by `to_string`; returns false for an unknown name.
bool from_string(const std::string& name, restart_type& x);

/// Which children a supervisor restarts when one of them exits.
enum class restart_strategy : std::uint8_t {
  one_for_one,  ///< only the child that exited
  one_for_all,  ///< every child
  rest_for_one, ///< the child and those started after it
};

/// Returns "one_for_one", "one_for_all" or "rest_for_one".
const char* to_string(restart_strategy x);

/// Parses a name produced by `to_string`; returns false for an unknown name.
bool from_string(const std::string& name, restart_strategy& x);

/// How an agent supervises the children it spawns.
struct supervisor_spec {
  restart_strategy strategy = restart_strategy::one_for_one;
  /// Intensity: at most this many restarts within `period_ms`, else the
  /// supervisor gives up and exits, which escalates to its own parent.
  std::uint32_t max_restarts = 5;
  std::uint64_t period_ms = 60'000;
  /// Delay before the first restart; doubles for each restart in the period.
  std::uint64_t backoff_initial_ms = 100;
  std::uint64_t backoff_max_ms = 30'000;
};

} // namespace corral
