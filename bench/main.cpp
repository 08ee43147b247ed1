// corral-bench: corral's native backend measured against raw CAF and
// Erlang/OTP in the same run. See docs/benchmarks.md.

#include <exception>
#include <iostream>

#include <spdlog/spdlog.h>

#include "actors/log.hpp"
#include "bench/bench_options.hpp"
#include "bench/report.hpp"
#include "bench/scheduler_settings.hpp"
#include "bench/suite.hpp"

int main(int argc, char** argv) {
  using namespace corral::bench;
  std::string error;
  bool help = false;
  bool help_profiles = false;
  auto options = parse_options(argc, argv, error, help, help_profiles);
  if (!options) {
    std::cerr << "corral-bench: " << error << "\n";
    return 2;
  }
  if (help) {
    std::cout << usage_text();
    return 0;
  }
  if (help_profiles) {
    for (const auto& profile : sweep_profiles())
      std::cout << profile.label << ": " << profile.describe() << "\n";
    return 0;
  }
  // Node start and stop lines would interleave with the progress line.
  // spdlog's global level covers the cluster transport's logger too.
  corral::set_log_level("warn");
  spdlog::set_level(spdlog::level::warn);

  try {
    if (!options->child_memory.empty())
      return run_memory_child(*options);
    report_context context;
    auto rows = run_suite(*options, context);
    switch (options->format) {
      case output_format::csv:
        write_csv(std::cout, rows);
        break;
      case output_format::json:
        write_json(std::cout, context, rows);
        break;
      default:
        write_table(std::cout, context, rows);
    }
  } catch (const std::exception& x) {
    std::cerr << "\ncorral-bench: measurement failed: " << x.what() << "\n";
    return 1;
  }
  return 0;
}
