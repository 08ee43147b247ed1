#include "bench/suite.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <iostream>
#include <stdexcept>

#include <unistd.h>

#include "bench/caf_runs.hpp"
#include "bench/cluster_section.hpp"
#include "bench/corral_runs.hpp"
#include "bench/erlang_section.hpp"
#include "bench/subprocess.hpp"
#include "bench/tee_section.hpp"
#include "bench/wasm_runs.hpp"

namespace corral::bench {

namespace {

// One line on stderr that names the step being measured: rewritten in
// place on a terminal, one line per step otherwise.
class progress_line {
public:
  progress_line(bool enabled, int total)
    : enabled_(enabled), total_(total), terminal_(::isatty(2) == 1) {
  }

  void step(const std::string& description) {
    ++done_;
    if (!enabled_)
      return;
    std::cerr << (terminal_ ? "\r\033[K" : "") << "corral-bench [" << done_
              << '/' << total_ << "] " << description << (terminal_ ? "" : "\n")
              << std::flush;
  }

  void finish() {
    if (enabled_ && terminal_)
      std::cerr << "\r\033[K" << std::flush;
  }

private:
  bool enabled_;
  int total_;
  int done_ = 0;
  bool terminal_;
};

using figure_source = std::function<double()>;
using latency_source = std::function<latency_figures()>;

// Runs corral and its baseline in turn (corral, CAF, corral, CAF, ...) so
// that a drift of the machine's speed affects both alike.
void measure(const bench_options& options, progress_line& progress,
             result_row& row, const figure_source& corral,
             const figure_source& caf) {
  for (int run = 1; run <= options.runs; ++run) {
    auto suffix = " (run " + std::to_string(run) + "/"
                  + std::to_string(options.runs) + ")";
    progress.step(row.label + ", corral" + suffix);
    row.corral_runs.push_back(corral());
    progress.step(row.label + ", raw CAF" + suffix);
    row.caf_runs.push_back(caf());
  }
}

// Like `measure`, for a latency run that yields the p50 and p99 rows.
void measure_latency(const bench_options& options, progress_line& progress,
                     result_row& p50, result_row& p99,
                     const latency_source& corral,
                     const latency_source& caf) {
  for (int run = 1; run <= options.runs; ++run) {
    auto suffix = " (run " + std::to_string(run) + "/"
                  + std::to_string(options.runs) + ")";
    progress.step(p50.label + ", corral" + suffix);
    auto ours = corral();
    progress.step(p50.label + ", raw CAF" + suffix);
    auto theirs = caf();
    p50.corral_runs.push_back(ours.p50_us);
    p99.corral_runs.push_back(ours.p99_us);
    p50.caf_runs.push_back(theirs.p50_us);
    p99.caf_runs.push_back(theirs.p99_us);
  }
}

// Measures idle memory in a fresh process, so that memory freed by earlier
// measurements and kept by the allocator does not hide the growth.
double memory_in_child(const std::string& system, std::size_t agents) {
  auto exe = std::filesystem::read_symlink("/proc/self/exe");
  auto output = run_command(shell_quote(exe.string()) + " --child-memory "
                            + system + " --agents " + std::to_string(agents));
  if (output.exit_code != 0)
    throw std::runtime_error("the memory measurement of " + system
                             + " failed with exit code "
                             + std::to_string(output.exit_code));
  return std::stod(output.text);
}

std::string pairs_label(std::size_t pairs) {
  return std::to_string(pairs) + (pairs == 1 ? " pair" : " pairs");
}

// Steps of the progress line for the sections selected.
int count_steps(const bench_options& options,
                const std::vector<scheduler_settings>& sweep) {
  const auto& s = options.sections;
  int per_run = 0;
  if (s.count("spawn"))
    per_run += 4;
  if (s.count("memory"))
    per_run += 2;
  if (s.count("throughput"))
    per_run += 2 * static_cast<int>(options.pairs.size()) + 1;
  if (s.count("latency"))
    per_run += 4;
  if (s.count("erlang"))
    per_run += 1;
  if (s.count("wasm"))
    per_run += 9;
  if (s.count("tee"))
    per_run += tee_steps_per_run();
  if (s.count("cluster"))
    per_run += cluster_steps_per_run();
  int steps = per_run * options.runs;
  if (s.count("sweep"))
    steps += static_cast<int>(sweep.size()) * 6 * options.runs;
  return steps;
}

void add_spawn_rows(const bench_options& options,
                    const scheduler_settings& settings,
                    progress_line& progress, std::vector<result_row>& rows) {
  auto outside = make_row("spawn.outside", "spawn, node::spawn one by one",
                          "us/agent", better::lower,
                          target_kind::ratio_to_caf_at_most, 1.5);
  measure(
    options, progress, outside,
    [&] { return corral_spawn_outside_us(settings, options.spawning); },
    [&] { return caf_spawn_outside_us(settings, options.spawning); });
  rows.push_back(std::move(outside));

  auto inside = make_row("spawn.inside",
                         "spawn, agent_context::spawn pipelined", "us/agent",
                         better::lower, target_kind::ratio_to_caf_at_most,
                         1.5);
  measure(
    options, progress, inside,
    [&] { return corral_spawn_inside_us(settings, options.spawning); },
    [&] { return caf_spawn_inside_us(settings, options.spawning); });
  rows.push_back(std::move(inside));
}

void add_memory_rows(const bench_options& options, progress_line& progress,
                     std::vector<result_row>& rows) {
  auto idle = make_row("memory.idle", "memory per idle agent (RSS)",
                       "bytes", better::lower,
                       target_kind::excess_over_caf_at_most, 1024);
  measure(
    options, progress, idle,
    [&] { return memory_in_child("corral", options.spawning.agents); },
    [&] { return memory_in_child("caf", options.spawning.agents); });
  rows.push_back(std::move(idle));
}

void add_throughput_rows(const bench_options& options,
                         const scheduler_settings& settings,
                         progress_line& progress,
                         std::vector<result_row>& rows) {
  for (auto pairs : options.pairs) {
    auto workload = options.ping_pong;
    workload.pairs = pairs;
    auto row = make_row("round_trips." + std::to_string(pairs),
                        "request-reply, " + pairs_label(pairs),
                        "round trips/s", better::higher,
                        target_kind::ratio_to_caf_at_least, 1.0);
    measure(
      options, progress, row,
      [&] { return corral_round_trips_per_s(settings, workload); },
      [&] { return caf_round_trips_per_s(settings, workload); });
    rows.push_back(std::move(row));
  }

  // corral arms a CAF request timeout for every request; this row shows
  // what raw CAF does without one, against the same corral figures.
  auto untimed = options.ping_pong;
  untimed.pairs = options.pairs.front();
  untimed.timeout = std::chrono::milliseconds{0};
  auto row = make_row("round_trips." + std::to_string(untimed.pairs)
                        + ".caf_untimed",
                      "request-reply, " + pairs_label(untimed.pairs)
                        + ", CAF without timeout",
                      "round trips/s", better::higher);
  row.corral_runs = rows[rows.size() - options.pairs.size()].corral_runs;
  for (int run = 1; run <= options.runs; ++run) {
    progress.step(row.label + " (run " + std::to_string(run) + "/"
                  + std::to_string(options.runs) + ")");
    row.caf_runs.push_back(caf_round_trips_per_s(settings, untimed));
  }
  rows.push_back(std::move(row));
}

void add_latency_rows(const bench_options& options,
                      const scheduler_settings& settings,
                      progress_line& progress,
                      std::vector<result_row>& rows) {
  auto rate = std::to_string(static_cast<long>(options.low_rate.rate_hz));
  auto agent_p50 = make_row("latency.agent.p50",
                            "latency p50, agent to agent at " + rate + "/s",
                            "us", better::lower, target_kind::at_most, 50);
  auto agent_p99 = make_row("latency.agent.p99",
                            "latency p99, agent to agent at " + rate + "/s",
                            "us", better::lower);
  measure_latency(
    options, progress, agent_p50, agent_p99,
    [&] { return corral_agent_latency(settings, options.low_rate); },
    [&] { return caf_actor_latency(settings, options.low_rate); });
  rows.push_back(std::move(agent_p50));
  rows.push_back(std::move(agent_p99));

  auto client_p50 = make_row("latency.client.p50",
                             "latency p50, node::request at " + rate + "/s",
                             "us", better::lower, target_kind::at_most, 50);
  auto client_p99 = make_row("latency.client.p99",
                             "latency p99, node::request at " + rate + "/s",
                             "us", better::lower);
  measure_latency(
    options, progress, client_p50, client_p99,
    [&] { return corral_client_latency(settings, options.low_rate); },
    [&] { return caf_scoped_latency(settings, options.low_rate); });
  client_p50.erlang_note = client_p99.erlang_note = "n/a";
  rows.push_back(std::move(client_p50));
  rows.push_back(std::move(client_p99));
}

// The Wasm backend beside the native one: the native figure goes in the
// baseline column, and the targets are absolute.
void add_wasm_rows(const bench_options& options,
                   const scheduler_settings& settings,
                   progress_line& progress, std::vector<result_row>& rows) {
  const auto& work = options.wasm;
  auto spawn_p50 = make_row("wasm.spawn.p50",
                            "WASM spawn p50, cached module, one at a time", "us",
                            better::lower, target_kind::at_most, 50);
  auto spawn_p99 = make_row("wasm.spawn.p99",
                            "WASM spawn p99, cached module, one at a time", "us",
                            better::lower);
  measure_latency(
    options, progress, spawn_p50, spawn_p99,
    [&] { return spawn_latency(settings, work.agents, echo_backend(true)); },
    [&] { return spawn_latency(settings, work.agents, echo_backend(false)); });

  auto memory = make_row("wasm.memory.idle",
                         "memory per idle WASM agent, 1-page module (RSS)",
                         "bytes", better::lower, target_kind::at_most,
                         100 * 1024);
  measure(
    options, progress, memory,
    [&] { return memory_in_child("wasm", work.agents); },
    [&] { return memory_in_child("corral", work.agents); });

  auto round_trips = make_row("wasm.round_trips.1",
                              "request-reply to a WASM echo, 1 pair",
                              "round trips/s", better::higher);
  auto ping_pong = options.ping_pong;
  ping_pong.pairs = 1;
  measure(
    options, progress, round_trips,
    [&] {
      return corral_round_trips_per_s(settings, ping_pong, echo_backend(true));
    },
    [&] {
      return corral_round_trips_per_s(settings, ping_pong,
                                      echo_backend(false));
    });

  auto kernel = make_row("wasm.kernel",
                         "CPU kernel (heap sort), "
                           + std::to_string(work.kernel_rounds) + " rounds",
                         "ms/call", better::lower);
  if (CORRAL_HAVE_WASM32_CLANG) {
    measure(
      options, progress, kernel,
      [&] {
        return wasm_kernel_ms(settings, work.kernel_rounds,
                              work.kernel_calls);
      },
      [&] { return native_kernel_ms(work.kernel_rounds, work.kernel_calls); });
  } else {
    for (int run = 1; run <= 2 * options.runs; ++run)
      progress.step("CPU kernel skipped: kernel_agent.wasm was not built");
  }

  auto concurrent = make_row("wasm.concurrent",
                             std::to_string(work.concurrent)
                               + " WASM agents alive, each answering",
                             "agents", better::higher, target_kind::at_least,
                             static_cast<double>(work.concurrent));
  for (int run = 1; run <= options.runs; ++run) {
    progress.step(concurrent.label + " (run " + std::to_string(run) + "/"
                  + std::to_string(options.runs) + ")");
    concurrent.corral_runs.push_back(
      concurrent_wasm_agents(settings, work.concurrent));
  }

  for (auto* row : {&spawn_p50, &spawn_p99, &memory, &round_trips, &kernel,
                    &concurrent}) {
    row->baseline_name = "native";
    row->caf_note = row == &kernel ? "not built (needs clang and lld)" : "";
    row->erlang_note = "";
    rows.push_back(std::move(*row));
  }
}

// Compares scheduler settings on the figures they move: round trips with
// two pairs and the low-rate latency from an agent and from a client.
void add_sweep_rows(const bench_options& options,
                    const std::vector<scheduler_settings>& profiles,
                    progress_line& progress, std::vector<result_row>& rows) {
  auto ping_pong = options.ping_pong;
  ping_pong.pairs = 2;
  ping_pong.duration = std::min(ping_pong.duration,
                                std::chrono::milliseconds{500});
  auto low_rate = options.low_rate;
  low_rate.samples = std::min<std::size_t>(low_rate.samples, 100);

  for (const auto& profile : profiles) {
    auto prefix = "sweep." + profile.label;
    auto throughput = make_row(prefix + ".round_trips.2",
                               profile.label + ": request-reply, 2 pairs",
                               "round trips/s", better::higher);
    measure(
      options, progress, throughput,
      [&] { return corral_round_trips_per_s(profile, ping_pong); },
      [&] { return caf_round_trips_per_s(profile, ping_pong); });
    auto agent_p50 = make_row(prefix + ".latency.agent.p50",
                              profile.label + ": latency p50, agent",
                              "us", better::lower);
    auto agent_p99 = make_row(prefix + ".latency.agent.p99",
                              profile.label + ": latency p99, agent",
                              "us", better::lower);
    measure_latency(
      options, progress, agent_p50, agent_p99,
      [&] { return corral_agent_latency(profile, low_rate); },
      [&] { return caf_actor_latency(profile, low_rate); });
    auto client_p50 = make_row(prefix + ".latency.client.p50",
                               profile.label + ": latency p50, client",
                               "us", better::lower);
    auto client_p99 = make_row(prefix + ".latency.client.p99",
                               profile.label + ": latency p99, client",
                               "us", better::lower);
    measure_latency(
      options, progress, client_p50, client_p99,
      [&] { return corral_client_latency(profile, low_rate); },
      [&] { return caf_scoped_latency(profile, low_rate); });
    for (auto* row : {&throughput, &agent_p50, &agent_p99, &client_p50,
                      &client_p99}) {
      row->erlang_note = "";
      rows.push_back(std::move(*row));
    }
  }
}

// Returns the sweep profiles named in `labels`, or all for an empty list.
std::vector<scheduler_settings>
select_profiles(const std::vector<std::string>& labels) {
  auto all = sweep_profiles();
  if (labels.empty())
    return all;
  std::vector<scheduler_settings> result;
  for (const auto& label : labels) {
    auto found = std::find_if(all.begin(), all.end(), [&](const auto& x) {
      return x.label == label;
    });
    if (found == all.end())
      throw std::runtime_error("--profiles: unknown profile '" + label
                               + "'; --help-profiles lists them");
    result.push_back(*found);
  }
  return result;
}

} // namespace

std::vector<result_row> run_suite(const bench_options& options,
                                  report_context& context) {
  auto settings = node_default_settings();
  auto profiles = select_profiles(options.profiles);
  context.settings = settings.describe();
  context.runs = options.runs;
  context.quick = options.quick;

  progress_line progress{options.progress, count_steps(options, profiles)};
  std::vector<result_row> rows;
  const auto& sections = options.sections;
  if (sections.count("spawn"))
    add_spawn_rows(options, settings, progress, rows);
  if (sections.count("memory"))
    add_memory_rows(options, progress, rows);
  if (sections.count("throughput"))
    add_throughput_rows(options, settings, progress, rows);
  if (sections.count("latency"))
    add_latency_rows(options, settings, progress, rows);
  if (sections.count("erlang"))
    add_erlang_figures(
      options, [&](const std::string& x) { progress.step(x); }, rows,
      context);
  if (sections.count("wasm"))
    add_wasm_rows(options, settings, progress, rows);
  if (sections.count("tee"))
    add_tee_rows(
      options, settings, [&](const std::string& x) { progress.step(x); },
      rows);
  if (sections.count("sweep"))
    add_sweep_rows(options, profiles, progress, rows);
  if (sections.count("cluster"))
    add_cluster_rows(
      options, settings, [&](const std::string& x) { progress.step(x); },
      rows);
  progress.finish();
  return rows;
}

int run_memory_child(const bench_options& options) {
  auto settings = node_default_settings();
  double bytes;
  if (options.child_memory == "corral")
    bytes = corral_idle_agent_bytes(settings, options.spawning);
  else if (options.child_memory == "wasm")
    bytes = idle_bytes(settings, options.spawning.agents, echo_backend(true));
  else
    bytes = caf_idle_actor_bytes(settings, options.spawning);
  std::cout << bytes << "\n";
  return 0;
}

} // namespace corral::bench
