#include "bench/cluster_measure.hpp"

#include <chrono>
#include <stdexcept>
#include <vector>

#include "bench/statistics.hpp"

namespace corral::bench {

using clock_type = std::chrono::steady_clock;

stoppable_thread::stoppable_thread(
  std::function<void(const std::atomic<bool>&)> loop)
  : thread_([this, loop = std::move(loop)] { loop(stopping_); }) {
}

stoppable_thread::~stoppable_thread() {
  stop();
}

void stoppable_thread::stop() {
  stopping_ = true;
  if (thread_.joinable())
    thread_.join();
}

double count_rate(const std::atomic<std::uint64_t>& received,
                  const cluster_workload& work, const std::string& transport) {
  std::this_thread::sleep_for(work.warmup);
  auto start_count = received.load();
  auto start = clock_type::now();
  std::this_thread::sleep_for(work.duration);
  auto end_count = received.load();
  std::chrono::duration<double> elapsed = clock_type::now() - start;
  if (end_count == start_count)
    throw std::runtime_error("no " + transport
                             + " message arrived in the measured time");
  return static_cast<double>(end_count - start_count) / elapsed.count();
}

latency_figures time_round_trips(const cluster_workload& work,
                                 const std::function<void()>& round_trip) {
  std::vector<double> samples_us;
  samples_us.reserve(work.round_trips);
  auto total = work.warmup_round_trips + work.round_trips;
  for (std::size_t i = 0; i < total; ++i) {
    auto start = clock_type::now();
    round_trip();
    if (i >= work.warmup_round_trips)
      samples_us.push_back(
        std::chrono::duration<double, std::micro>(clock_type::now() - start)
          .count());
  }
  return {percentile(samples_us, 0.5), percentile(samples_us, 0.99)};
}

} // namespace corral::bench
