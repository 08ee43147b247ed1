#pragma once

#include <chrono>
#include <cstdint>
#include <cstddef>

namespace corral::bench {

/// Spawning many idle agents (or actors, or Erlang processes).
struct spawn_workload {
  std::size_t agents = 20'000;
};

/// Request-reply ping-pong between `pairs` independent pairs, each with one
/// request in flight, for `duration` after `warmup`.
struct ping_pong_workload {
  std::size_t pairs = 1;
  std::chrono::milliseconds warmup{100};
  std::chrono::milliseconds duration{1000};
  std::size_t payload_bytes = 16;
  /// The timeout every request carries, as corral's requests always do.
  /// Zero means none, which only the raw CAF baseline supports.
  std::chrono::milliseconds timeout{5000};
};

/// Request-reply at a fixed low rate, so that workers go idle in between.
struct low_rate_workload {
  /// Requests per second.
  double rate_hz = 100;
  std::size_t samples = 200;
  std::size_t payload_bytes = 16;
  std::chrono::milliseconds timeout{5000};

  /// Time between two requests.
  std::chrono::microseconds interval() const {
    return std::chrono::microseconds{
      static_cast<long long>(1'000'000 / rate_hz)};
  }
};

/// Sizes of the WASM section.
struct wasm_workload {
  /// Agents spawned per spawn-latency run and per memory run.
  std::size_t agents = 2000;
  /// Agents kept alive at once, each asked once.
  std::size_t concurrent = 10'000;
  /// Rounds of the CPU kernel per call, and calls per run.
  std::uint32_t kernel_rounds = 2;
  int kernel_calls = 5;
};

/// Sizes of the Tee section.
struct tee_workload {
  /// Enclave agents spawned per spawn-latency run; each is a process.
  std::size_t agents = 50;
};

/// Median and tail of one latency run, in microseconds.
struct latency_figures {
  double p50_us = 0;
  double p99_us = 0;
};

/// Sizes of the cluster transport runs, all on 127.0.0.1.
struct cluster_workload {
  /// Time the sender runs before counting starts, so that connections,
  /// buffers and queues are in their steady state.
  std::chrono::milliseconds warmup{200};
  /// Time over which received messages are counted.
  std::chrono::milliseconds duration{1000};
  /// Round trips timed per RTT run, after `warmup_round_trips` untimed.
  std::size_t round_trips = 2000;
  std::size_t warmup_round_trips = 200;
};

} // namespace corral::bench
