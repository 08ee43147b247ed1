#pragma once

#include "bench/scheduler_settings.hpp"
#include "bench/workloads.hpp"

namespace corral::bench {

/// Times request-reply round trips of a 64-byte payload from node "a" to
/// an echo agent that a Remote spawn from "a" started on node "b", both
/// nodes in this process on 127.0.0.1. Each request goes the way an
/// application's does: a's proxy actor, both nodes' gateways and
/// transports, the agent, and back. One request is in flight at a time.
latency_figures corral_remote_round_trip(const scheduler_settings& settings,
                                         const cluster_workload& work);

} // namespace corral::bench
