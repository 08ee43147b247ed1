#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench/workloads.hpp"

namespace corral::bench {

/// The figures of one run of the Erlang/OTP baseline.
struct erlang_figures {
  double spawn_us = 0;
  double idle_bytes = 0;
  /// Round trips per second by number of pairs.
  std::map<std::size_t, double> round_trips_per_s;
  latency_figures latency;
};

/// The figures of one run of the Erlang distribution baseline.
struct erlang_distribution_figures {
  /// Messages per second received on the peer node by message size.
  std::map<std::size_t, double> messages_per_s;
  /// Round trips of 64 bytes to an echo process on the peer node.
  latency_figures round_trip;
};

/// The Erlang/OTP baseline (bench/erlang/corral_bench.erl, and
/// corral_dist_bench.erl for the cluster section), compiled once into a
/// temporary folder and run in a fresh `erl` per run.
class erlang_baseline {
public:
  /// Compiles the module. Returns nothing and sets `reason` when `erl` or
  /// `erlc` is not on PATH, the module source is missing or it does not
  /// compile.
  static std::optional<erlang_baseline> prepare(std::string& reason);

  erlang_baseline(erlang_baseline&& other) noexcept;
  erlang_baseline& operator=(erlang_baseline&&) = delete;

  /// Removes the folder with the compiled module.
  ~erlang_baseline();

  /// Runs every measurement once in a new VM; raises std::runtime_error
  /// when erl fails or prints something unexpected.
  erlang_figures run(const spawn_workload& spawning,
                     const std::vector<std::size_t>& pairs,
                     const ping_pong_workload& ping_pong,
                     const low_rate_workload& low_rate) const;

  /// Runs the distribution measurements once: a new `erl` named
  /// corral_bench_main@127.0.0.1 starts a peer node on 127.0.0.1 and
  /// measures against it. Both nodes listen on 127.0.0.1 only, and so does
  /// the epmd daemon that the first `erl` starts when none runs; epmd
  /// stays running afterwards. Raises std::runtime_error when erl fails.
  erlang_distribution_figures
  run_distribution(const cluster_workload& work) const;

  /// The OTP release, e.g. "25".
  const std::string& release() const {
    return release_;
  }

private:
  explicit erlang_baseline(std::filesystem::path folder);

  std::filesystem::path folder_;
  std::string release_;
};

} // namespace corral::bench
