#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bench/workloads.hpp"

namespace corral::bench {

/// Output formats of the results.
enum class output_format { table, csv, json };

/// The command line of corral-bench.
struct bench_options {
  int runs = 5;
  bool quick = false;
  output_format format = output_format::table;
  /// Sections to run: spawn, memory, throughput, latency, erlang, wasm,
  /// tee, sweep, cluster. The sweep and the cluster section run only when asked
  /// for, because each takes longer than the rest together.
  std::set<std::string> sections = {"spawn",  "memory", "throughput",
                                    "latency", "erlang", "wasm",
                                    "tee"};
  spawn_workload spawning;
  std::vector<std::size_t> pairs = {1, 2, 4};
  ping_pong_workload ping_pong;
  low_rate_workload low_rate;
  wasm_workload wasm;
  tee_workload tee;
  cluster_workload cluster;
  bool progress = true;
  /// Profiles of the sweep by label; empty means all of them.
  std::vector<std::string> profiles;

  /// Set for the child process that measures memory in a fresh process:
  /// "corral", "caf" or "wasm".
  std::string child_memory;
};

/// Parses the command line. Returns nothing and sets `error` for invalid
/// arguments. Sets `help` when --help was given and `help_profiles` for
/// --help-profiles.
std::optional<bench_options> parse_options(int argc, char** argv,
                                           std::string& error, bool& help,
                                           bool& help_profiles);

/// The text --help prints.
std::string usage_text();

} // namespace corral::bench
