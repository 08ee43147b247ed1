#pragma once

// The measuring loops that every transport of the cluster section shares:
// corral, raw ZeroMQ and CAF BASP are timed by the same code, so that
// their figures differ only in the transport.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "bench/workloads.hpp"

namespace corral::bench {

/// A thread that runs `loop` until `stop` is called. The destructor calls
/// it, so the thread is joined also when a measurement throws.
class stoppable_thread {
public:
  /// Starts `loop`, which must return soon after its argument turns true.
  explicit stoppable_thread(std::function<void(const std::atomic<bool>&)> loop);

  /// Calls `stop`.
  ~stoppable_thread();

  stoppable_thread(const stoppable_thread&) = delete;
  stoppable_thread& operator=(const stoppable_thread&) = delete;

  /// Asks the loop to end and joins the thread. Safe to call twice.
  void stop();

private:
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

/// Waits `work.warmup`, then returns how many messages per second
/// `received` gained over `work.duration`. Throws when none arrived, naming
/// `transport`.
double count_rate(const std::atomic<std::uint64_t>& received,
                  const cluster_workload& work, const std::string& transport);

/// Calls `round_trip` `work.warmup_round_trips + work.round_trips` times and
/// returns the p50 and p99 of the last `work.round_trips` calls' wall
/// times. An exception from `round_trip` ends the run.
latency_figures time_round_trips(const cluster_workload& work,
                                 const std::function<void()>& round_trip);

} // namespace corral::bench
