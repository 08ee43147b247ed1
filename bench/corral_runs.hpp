#pragma once

#include "bench/scheduler_settings.hpp"
#include "bench/workloads.hpp"
#include "serialization/spawn_backend.hpp"

namespace corral::bench {

// Measurements of corral's native backend. Each call starts a fresh node
// with `settings`, runs one measurement and stops the node; failures raise
// std::runtime_error with what went wrong.

/// Registers the native echo agent type "bench_echo", which replies to
/// every request with its payload.
void register_echo_agent();

/// Microseconds per agent for `node::spawn` called once per agent from
/// outside the node.
double corral_spawn_outside_us(const scheduler_settings& settings,
                               const spawn_workload& workload);

/// Microseconds per agent when one agent issues every spawn through
/// `agent_context::spawn` at once and counts the completions.
double corral_spawn_inside_us(const scheduler_settings& settings,
                              const spawn_workload& workload);

/// Resident bytes per idle agent (RSS after spawning minus before,
/// divided by the count). Meant for a fresh process.
double corral_idle_agent_bytes(const scheduler_settings& settings,
                               const spawn_workload& workload);

/// Round trips per second of agent-to-agent `agent_context::request`,
/// from native agents to echo agents that run on `echo_backend`.
double corral_round_trips_per_s(const scheduler_settings& settings,
                                const ping_pong_workload& workload,
                                const spawn_backend& echo_backend
                                = native_backend{});

/// Latency of agent-to-agent requests sent at a low fixed rate.
latency_figures corral_agent_latency(const scheduler_settings& settings,
                                     const low_rate_workload& workload);

/// Latency of `node::request` from a thread outside the node at a low
/// fixed rate.
latency_figures corral_client_latency(const scheduler_settings& settings,
                                      const low_rate_workload& workload);

} // namespace corral::bench
