#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace corral::bench {

/// Round trips of one ping-pong pair, on its own cache line so that pairs
/// on different cores do not slow each other down.
struct alignas(64) round_trip_counter {
  std::atomic<std::uint64_t> value{0};
};

/// What the bench's thread and the pingers of one run share.
struct ping_pong_state {
  /// Creates the counters of `pairs` pairs.
  explicit ping_pong_state(std::size_t pairs)
    : counters(new round_trip_counter[pairs]), pairs(pairs) {
  }

  /// Sum of the counters; a relaxed snapshot.
  std::uint64_t total() const {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < pairs; ++i)
      sum += counters[i].value.load(std::memory_order_relaxed);
    return sum;
  }

  std::unique_ptr<round_trip_counter[]> counters;
  std::size_t pairs;
  /// Set by the bench; each pinger stops after its next reply.
  std::atomic<bool> stop{false};
  /// Pingers that have stopped, for any reason.
  std::atomic<std::size_t> stopped{0};
  std::atomic<std::size_t> failures{0};
  std::string payload;
  std::chrono::milliseconds timeout{5000};
};

} // namespace corral::bench
