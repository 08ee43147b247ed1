#include "bench/cluster_section.hpp"

#include <functional>
#include <stdexcept>

#include "bench/caf_remote_runs.hpp"
#include "bench/cluster_runs.hpp"
#include "bench/erlang_runs.hpp"
#include "bench/remote_runs.hpp"

namespace corral::bench {

namespace {

const std::string zmq_baseline = "raw ZeroMQ";
const std::string caf_baseline = "CAF BASP";

result_row make_cluster_row(std::string id, std::string label,
                            std::string unit, better direction) {
  auto row = make_row(std::move(id), std::move(label), std::move(unit),
                      direction);
  row.baseline_name = zmq_baseline;
  return row;
}

std::string run_suffix(int run, int runs) {
  return " (run " + std::to_string(run) + "/" + std::to_string(runs) + ")";
}

// Alternates corral and raw ZeroMQ runs so that a drift of the machine's
// speed affects both alike.
void measure_rate(const bench_options& options, const progress_step& step,
                  result_row& row, const std::function<double()>& corral,
                  const std::function<double()>& zmq) {
  for (int run = 1; run <= options.runs; ++run) {
    step(row.label + ", corral" + run_suffix(run, options.runs));
    row.corral_runs.push_back(corral());
    step(row.label + ", raw ZeroMQ" + run_suffix(run, options.runs));
    row.caf_runs.push_back(zmq());
  }
}

// Alternates corral's round trips with raw ZeroMQ's DEALER/ROUTER
// exchange and records the p50 and p99 of each run.
void measure_round_trips(const bench_options& options,
                         const progress_step& step, result_row& p50,
                         result_row& p99,
                         const std::function<latency_figures()>& corral) {
  for (int run = 1; run <= options.runs; ++run) {
    step(p50.label + ", corral" + run_suffix(run, options.runs));
    auto ours = corral();
    step(p50.label + ", raw ZeroMQ" + run_suffix(run, options.runs));
    auto theirs = zmq_dealer_router_round_trip(options.cluster);
    p50.corral_runs.push_back(ours.p50_us);
    p99.corral_runs.push_back(ours.p99_us);
    p50.caf_runs.push_back(theirs.p50_us);
    p99.caf_runs.push_back(theirs.p99_us);
  }
}

std::string size_label(std::size_t bytes) {
  return bytes >= 1024 ? std::to_string(bytes / 1024) + " KiB"
                       : std::to_string(bytes) + " B";
}

// Adds the corral figures of this run beside CAF's BASP remoting. The
// rows reuse the corral runs measured against raw ZeroMQ, which precede
// them in `rows`.
void add_caf_basp_rows(const bench_options& options,
                       const progress_step& step,
                       std::vector<result_row>& rows) {
  const auto& work = options.cluster;
  auto find = [&](const std::string& id) -> const result_row& {
    for (const auto& row : rows)
      if (row.id == id)
        return row;
    throw std::logic_error("cluster row " + id + " is missing");
  };
  std::vector<result_row> caf_rows;
  for (std::size_t bytes : {std::size_t{64}, std::size_t{4096}}) {
    const auto& zmq_row = find("cluster.messages." + std::to_string(bytes));
    auto row = make_cluster_row(zmq_row.id + ".caf", zmq_row.label, "msgs/s",
                                better::higher);
    row.corral_runs = zmq_row.corral_runs;
    caf_rows.push_back(std::move(row));
  }
  for (const char* id : {"cluster.rtt.p50", "cluster.rtt.p99"}) {
    const auto& zmq_row = find(id);
    auto row = make_cluster_row(zmq_row.id + ".caf", zmq_row.label, "us",
                                better::lower);
    row.corral_runs = zmq_row.corral_runs;
    caf_rows.push_back(std::move(row));
  }

  for (int run = 1; run <= options.runs; ++run) {
    for (std::size_t i = 0; i < 2; ++i) {
      std::size_t bytes = i == 0 ? 64 : 4096;
      step(caf_rows[i].label + ", CAF BASP" + run_suffix(run, options.runs));
      caf_rows[i].caf_runs.push_back(caf_basp_messages_per_s(bytes, work));
    }
    step(caf_rows[2].label + ", CAF BASP" + run_suffix(run, options.runs));
    auto figures = caf_basp_round_trip(work);
    caf_rows[2].caf_runs.push_back(figures.p50_us);
    caf_rows[3].caf_runs.push_back(figures.p99_us);
  }
  for (auto& row : caf_rows) {
    row.baseline_name = caf_baseline;
    // The Erlang figures are in the raw ZeroMQ table above.
    row.erlang_note = "";
    rows.push_back(std::move(row));
  }
}

// Fills the Erlang column of the raw ZeroMQ rows with Erlang
// distribution between two nodes on 127.0.0.1, one new pair per run.
void add_erlang_distribution(const bench_options& options,
                             const progress_step& step,
                             std::vector<result_row>& rows) {
  auto row_of = [&](const std::string& id) -> result_row& {
    for (auto& row : rows)
      if (row.id == id)
        return row;
    throw std::logic_error("cluster row " + id + " is missing");
  };
  auto& small = row_of("cluster.messages.64");
  auto& large = row_of("cluster.messages.4096");
  auto& p50 = row_of("cluster.rtt.p50");
  auto& p99 = row_of("cluster.rtt.p99");

  std::string reason;
  auto baseline = erlang_baseline::prepare(reason);
  if (!baseline) {
    for (auto* row : {&small, &large, &p50, &p99})
      row->erlang_note = reason;
    for (int run = 1; run <= options.runs; ++run)
      step("Erlang distribution skipped: " + reason);
    return;
  }
  for (int run = 1; run <= options.runs; ++run) {
    step("Erlang distribution" + run_suffix(run, options.runs));
    auto figures = baseline->run_distribution(options.cluster);
    small.erlang_runs.push_back(figures.messages_per_s.at(64));
    large.erlang_runs.push_back(figures.messages_per_s.at(4096));
    p50.erlang_runs.push_back(figures.round_trip.p50_us);
    p99.erlang_runs.push_back(figures.round_trip.p99_us);
  }
}

// The round trip of an application: a request through a Remote proxy to
// an echo agent on the other node, against the same raw ZeroMQ exchange.
void add_remote_rows(const bench_options& options,
                     const scheduler_settings& settings,
                     const progress_step& step, std::vector<result_row>& rows) {
  const auto& work = options.cluster;
  auto p50 = make_cluster_row("cluster.remote_rtt.p50",
                              "Remote agent request-reply RTT p50, 64 B",
                              "us", better::lower);
  p50.target = target_kind::ratio_to_caf_at_most;
  p50.target_value = 1.5;
  p50.erlang_note = "";
  auto p99 = make_cluster_row("cluster.remote_rtt.p99",
                              "Remote agent request-reply RTT p99, 64 B",
                              "us", better::lower);
  p99.erlang_note = "";
  measure_round_trips(options, step, p50, p99, [&] {
    return corral_remote_round_trip(settings, work);
  });
  rows.push_back(std::move(p50));
  rows.push_back(std::move(p99));
}

} // namespace

int cluster_steps_per_run() {
  // Two throughput sizes with their baselines, the CurveZMQ run, the
  // round trips of the transport and of a Remote agent with their
  // baselines, the three CAF BASP runs and the Erlang distribution run.
  return 2 * 2 + 1 + 2 + 2 + 3 + 1;
}

void add_cluster_rows(const bench_options& options,
                      const scheduler_settings& settings,
                      const progress_step& step,
                      std::vector<result_row>& rows) {
  const auto& work = options.cluster;
  std::vector<double> plain_64_zmq_runs;
  for (std::size_t bytes : {std::size_t{64}, std::size_t{4096}}) {
    auto row = make_cluster_row(
      "cluster.messages." + std::to_string(bytes),
      "cluster send, " + size_label(bytes) + ", node a to b, insecure",
      "msgs/s", better::higher);
    // Only the 64 B row has a target, because small messages show whether
    // the transport batches them. 4 KiB messages are bound by copying.
    if (bytes == 64) {
      row.target = target_kind::ratio_to_caf_at_least;
      row.target_value = 0.6;
    }
    measure_rate(
      options, step, row,
      [&] { return corral_cluster_messages_per_s(bytes, false, work); },
      [&] { return zmq_push_pull_messages_per_s(bytes, work); });
    if (bytes == 64)
      plain_64_zmq_runs = row.caf_runs;
    rows.push_back(std::move(row));
  }

  // CurveZMQ against the insecure baseline of the same run, so that the
  // ratio shows what encryption costs on top of the transport.
  auto curve = make_cluster_row("cluster.messages.64.curve",
                                "cluster send, 64 B, node a to b, CurveZMQ "
                                "(baseline without)",
                                "msgs/s", better::higher);
  curve.caf_runs = plain_64_zmq_runs;
  curve.erlang_note = "";
  for (int run = 1; run <= options.runs; ++run) {
    step(curve.label + run_suffix(run, options.runs));
    curve.corral_runs.push_back(corral_cluster_messages_per_s(64, true, work));
  }
  rows.push_back(std::move(curve));

  auto p50 = make_cluster_row("cluster.rtt.p50",
                              "cluster request-reply RTT p50, 64 B", "us",
                              better::lower);
  p50.target = target_kind::ratio_to_caf_at_most;
  p50.target_value = 1.5;
  auto p99 = make_cluster_row("cluster.rtt.p99",
                              "cluster request-reply RTT p99, 64 B", "us",
                              better::lower);
  measure_round_trips(options, step, p50, p99,
                      [&] { return corral_cluster_round_trip(work); });
  rows.push_back(std::move(p50));
  rows.push_back(std::move(p99));
  add_remote_rows(options, settings, step, rows);
  add_erlang_distribution(options, step, rows);
  add_caf_basp_rows(options, step, rows);
}

} // namespace corral::bench
