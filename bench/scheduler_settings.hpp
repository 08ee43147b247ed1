#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>

#include "actors/node_config.hpp"

namespace corral::bench {

/// One set of CAF 0.17 scheduler settings under which both corral and the
/// raw CAF baseline run. Unset fields keep what the node (or, for raw CAF,
/// the library) uses by default.
struct scheduler_settings {
  /// Creates settings that keep every default.
  scheduler_settings();

  /// Short label for tables, e.g. "corral-defaults".
  std::string label;
  /// `scheduler.max-threads`; 0 keeps the default.
  std::size_t threads = 0;
  /// `scheduler.max-throughput`; 0 keeps the default.
  std::size_t max_throughput = 0;
  /// `scheduler.policy`: "stealing" or "sharing"; empty keeps the default.
  std::string policy;
  /// `work-stealing.*`; unset fields keep CAF's defaults. Every field
  /// starts unset, unlike in `node_config`, which sets some.
  work_stealing_settings work_stealing;
  /// Timer slack (Linux `PR_SET_TIMERSLACK`, ns) of the thread that starts
  /// the actor system, which its worker threads inherit. It rounds up every
  /// sleep of a polling worker; 0 keeps the thread's slack (50 µs by
  /// default).
  unsigned long timer_slack_ns = 0;

  /// Writes the settings that are set into a raw CAF configuration.
  void apply(caf::actor_system_config& cfg) const;

  /// Returns a node configuration carrying the same settings.
  node_config make_node_config() const;

  /// Lists the settings that are set as "key=value" pairs, or returns
  /// "library defaults" when none is.
  std::string describe() const;
};

/// Sets the calling thread's timer slack for its lifetime, so that threads
/// started meanwhile inherit it, and restores the old value at the end.
class timer_slack_scope {
public:
  /// Sets `slack_ns` unless it is 0.
  explicit timer_slack_scope(unsigned long slack_ns);
  ~timer_slack_scope();

  timer_slack_scope(const timer_slack_scope&) = delete;
  timer_slack_scope& operator=(const timer_slack_scope&) = delete;

private:
  long previous_ = -1;
};

/// The settings a corral node uses when its configuration is left alone.
scheduler_settings node_default_settings();

/// The settings raw CAF uses when nothing is configured.
scheduler_settings caf_default_settings();

/// The profiles that `--sweep` compares, starting with both defaults.
std::vector<scheduler_settings> sweep_profiles();

} // namespace corral::bench
