#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "serialization/exit_reason.hpp"
#include "serialization/supervision.hpp"

namespace corral {

/// Decides, per restart type, whether a child that exited with `reason`
/// is restarted: permanent always, transient after an abnormal exit,
/// temporary never.
bool should_restart(restart_type type, const exit_reason& reason);

/// The restarts a supervisor made recently, to enforce its intensity.
class restart_intensity {
public:
  using clock = std::chrono::steady_clock;

  /// Records a restart at `now` and forgets those older than the period.
  /// Returns false when this restart exceeds `max_restarts` in the period:
  /// the supervisor must then give up.
  bool record(const supervisor_spec& spec, clock::time_point now);

  /// Restarts recorded within the period that ended with the last record.
  std::size_t recent() const;

private:
  // Allocated with the first restart: every top-level agent carries one
  // of these, and most never restart. A vector, not a deque: libstdc++'s
  // deque allocates about 600 bytes even when empty.
  std::unique_ptr<std::vector<clock::time_point>> restarts_;
};

/// Returns the delay before the `nth` restart within the period (1-based):
/// the initial backoff doubled for each earlier restart, capped at the max.
std::chrono::milliseconds backoff_delay(const supervisor_spec& spec,
                                        std::size_t nth);

/// Returns the positions, in start order, of the children a supervisor
/// with `strategy` stops and restarts when the child at `failed` exits,
/// `failed` included.
std::vector<std::size_t> restart_group(restart_strategy strategy,
                                       std::size_t failed,
                                       std::size_t child_count);

} // namespace corral
