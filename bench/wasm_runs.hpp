#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "bench/scheduler_settings.hpp"
#include "bench/workloads.hpp"
#include "serialization/spawn_backend.hpp"

namespace corral::bench {

// Measurements of the Wasm backend, each beside the same figure for the
// native backend. Each call starts a fresh node, measures and stops it;
// failures raise std::runtime_error.

/// Where the example WASM agents are (echo.wat, kernel_agent.wasm, ...).
std::string wasm_examples_dir();

/// The backend of a WASM echo agent (echo.wat), or of a native one when
/// `wasm` is false.
spawn_backend echo_backend(bool wasm);

/// Latency of each spawn of an echo agent on `backend`, issued one after
/// the other by an agent through `agent_context::spawn`; for WASM the
/// module is in the cache after the first spawn, which is not counted.
latency_figures spawn_latency(const scheduler_settings& settings,
                              std::size_t agents,
                              const spawn_backend& backend);

/// Resident bytes per idle echo agent on `backend`; meant for a fresh
/// process, like `corral_idle_agent_bytes`.
double idle_bytes(const scheduler_settings& settings, std::size_t agents,
                  const spawn_backend& backend);

/// Spawns `agents` WASM echo agents, keeps them all alive, and asks each
/// one once; returns how many answered correctly.
double concurrent_wasm_agents(const scheduler_settings& settings,
                              std::size_t agents);

/// Milliseconds per call of the CPU kernel with `rounds`, natively in this
/// process (median of `calls`).
double native_kernel_ms(std::uint32_t rounds, int calls);

/// Milliseconds per request to the WASM kernel agent with `rounds` (median
/// of `calls`), including the request's round trip.
double wasm_kernel_ms(const scheduler_settings& settings,
                      std::uint32_t rounds, int calls);

} // namespace corral::bench
