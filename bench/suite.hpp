#pragma once

#include <vector>

#include "bench/bench_options.hpp"
#include "bench/report.hpp"

namespace corral::bench {

/// Runs the sections that `options` selects and returns their rows, in
/// table order. Raises std::runtime_error when a measurement fails.
std::vector<result_row> run_suite(const bench_options& options,
                                  report_context& context);

/// Measures resident bytes per idle agent ("corral") or actor ("caf") in
/// this process and prints the figure; the suite runs it in a child.
int run_memory_child(const bench_options& options);

} // namespace corral::bench
