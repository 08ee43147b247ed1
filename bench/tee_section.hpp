#pragma once

#include <string>
#include <vector>

#include "bench/bench_options.hpp"
#include "bench/cluster_section.hpp"
#include "bench/report.hpp"
#include "bench/scheduler_settings.hpp"

namespace corral::bench {

/// Returns the progress steps that `add_tee_rows` takes per run.
int tee_steps_per_run();

/// Measures simulated Tee agents running echo.wat against Wasm agents
/// running the same module, in the same run: spawn latency including the
/// attestation, and the round trip of a request through the sealed
/// channel. Appends rows whose baseline column is "Wasm".
void add_tee_rows(const bench_options& options,
                  const scheduler_settings& settings,
                  const progress_step& step, std::vector<result_row>& rows);

} // namespace corral::bench
