#pragma once

#include <string>
#include <vector>

#include "bench/bench_options.hpp"
#include "bench/cluster_section.hpp"
#include "bench/report.hpp"

namespace corral::bench {

/// Runs the Erlang/OTP baseline and puts its figures beside the rows that
/// have a counterpart, adding a row for each figure whose corral section
/// did not run. Without Erlang/OTP the rows give the reason.
void add_erlang_figures(const bench_options& options, const progress_step& step,
                        std::vector<result_row>& rows,
                        report_context& context);

} // namespace corral::bench
