#include "bench/erlang_section.hpp"

#include "bench/erlang_runs.hpp"

namespace corral::bench {

namespace {

// The rows that have an Erlang counterpart, by the key the Erlang module
// prints.
std::vector<std::pair<std::string, std::string>>
erlang_counterparts(const bench_options& options) {
  std::vector<std::pair<std::string, std::string>> result = {
    {"spawn.inside", "spawn_us"},
    {"memory.idle", "idle_bytes"},
    {"latency.agent.p50", "latency_p50_us"},
    {"latency.agent.p99", "latency_p99_us"},
  };
  for (auto pairs : options.pairs)
    result.emplace_back("round_trips." + std::to_string(pairs),
                        "round_trips_per_s_" + std::to_string(pairs));
  return result;
}

double erlang_value(const erlang_figures& figures, const std::string& key) {
  if (key == "spawn_us")
    return figures.spawn_us;
  if (key == "idle_bytes")
    return figures.idle_bytes;
  if (key == "latency_p50_us")
    return figures.latency.p50_us;
  if (key == "latency_p99_us")
    return figures.latency.p99_us;
  auto pairs = std::stoul(key.substr(std::string{"round_trips_per_s_"}.size()));
  return figures.round_trips_per_s.at(pairs);
}

// A row for an Erlang figure whose corral section did not run, so that
// `--only erlang` still shows it.
result_row make_erlang_only_row(const std::string& key) {
  std::string unit = "round trips/s";
  if (key.size() > 3 && key.compare(key.size() - 3, 3, "_us") == 0)
    unit = key.rfind("spawn", 0) == 0 ? "us/process" : "us";
  else if (key == "idle_bytes")
    unit = "bytes";
  auto row = make_row("erlang." + key, "Erlang only: " + key, unit,
                      unit == "round trips/s" ? better::higher
                                              : better::lower);
  row.caf_note = "";
  return row;
}

} // namespace

void add_erlang_figures(const bench_options& options, const progress_step& step,
                        std::vector<result_row>& rows,
                        report_context& context) {
  std::string reason;
  auto baseline = erlang_baseline::prepare(reason);
  auto counterparts = erlang_counterparts(options);
  if (!baseline) {
    for (const auto& [id, key] : counterparts)
      if (auto row = find_row(rows, id))
        row->erlang_note = reason;
    for (int run = 1; run <= options.runs; ++run)
      step("Erlang/OTP baseline skipped: " + reason);
    return;
  }
  context.erlang_release = baseline->release();

  // Row indexes, not pointers: adding the Erlang-only rows may move rows.
  std::vector<std::pair<std::size_t, std::string>> targets;
  for (const auto& [id, key] : counterparts) {
    auto row = find_row(rows, id);
    if (row == nullptr) {
      rows.push_back(make_erlang_only_row(key));
      targets.emplace_back(rows.size() - 1, key);
    } else {
      targets.emplace_back(static_cast<std::size_t>(row - rows.data()), key);
    }
  }
  for (int run = 1; run <= options.runs; ++run) {
    step("Erlang/OTP baseline (run " + std::to_string(run) + "/"
                  + std::to_string(options.runs) + ")");
    auto figures = baseline->run(options.spawning, options.pairs,
                                 options.ping_pong, options.low_rate);
    for (const auto& [index, key] : targets)
      rows[index].erlang_runs.push_back(erlang_value(figures, key));
  }
}

} // namespace corral::bench
