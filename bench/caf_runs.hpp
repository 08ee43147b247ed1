#pragma once

#include "bench/scheduler_settings.hpp"
#include "bench/workloads.hpp"

namespace corral::bench {

// The raw CAF baseline of each corral measurement: plain event-based
// actors doing the same work on an actor system configured with the same
// `settings`. Failures raise std::runtime_error.

/// Microseconds per actor for `actor_system::spawn` in a loop.
double caf_spawn_outside_us(const scheduler_settings& settings,
                            const spawn_workload& workload);

/// Microseconds per actor for an actor spawning its children in a loop.
double caf_spawn_inside_us(const scheduler_settings& settings,
                           const spawn_workload& workload);

/// Resident bytes per idle actor. Meant for a fresh process.
double caf_idle_actor_bytes(const scheduler_settings& settings,
                            const spawn_workload& workload);

/// Round trips per second of `request(...).then(...)` ping-pong.
double caf_round_trips_per_s(const scheduler_settings& settings,
                             const ping_pong_workload& workload);

/// Latency of actor-to-actor requests sent at a low fixed rate.
latency_figures caf_actor_latency(const scheduler_settings& settings,
                                  const low_rate_workload& workload);

/// Latency of requests from one long-lived `scoped_actor` at a low fixed
/// rate.
latency_figures caf_scoped_latency(const scheduler_settings& settings,
                                   const low_rate_workload& workload);

} // namespace corral::bench
