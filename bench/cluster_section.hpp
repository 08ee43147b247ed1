#pragma once

#include <functional>
#include <string>
#include <vector>

#include "bench/bench_options.hpp"
#include "bench/report.hpp"
#include "bench/scheduler_settings.hpp"

namespace corral::bench {

/// Reports one step of the measurement to the progress line.
using progress_step = std::function<void(const std::string& description)>;

/// Returns the progress steps that `add_cluster_rows` takes per run.
int cluster_steps_per_run();

/// Measures the cluster transport, and a Remote agent on nodes run with
/// `settings`, against raw ZeroMQ doing the same exchange on 127.0.0.1,
/// and appends the rows, whose baseline column is "raw ZeroMQ". Raises
/// std::runtime_error when a run fails.
void add_cluster_rows(const bench_options& options,
                      const scheduler_settings& settings,
                      const progress_step& step,
                      std::vector<result_row>& rows);

} // namespace corral::bench
