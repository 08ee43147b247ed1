#include "bench/tee_section.hpp"

#include "bench/corral_runs.hpp"
#include "bench/wasm_runs.hpp"

namespace corral::bench {

namespace {

result_row make_tee_row(std::string id, std::string label, std::string unit,
                        target_kind target, double target_value) {
  auto row = make_row(std::move(id), std::move(label), std::move(unit),
                      better::lower, target, target_value);
  row.baseline_name = "Wasm";
  row.caf_note = "";
  row.erlang_note = "";
  return row;
}

spawn_backend tee_echo_backend() {
  enclave_config enclave;
  enclave.type = enclave_type::simulation;
  enclave.workload = wasm_examples_dir() + "/echo.wat";
  enclave.memory_bytes = 16ull << 20;
  return tee_backend{enclave};
}

std::string run_suffix(int run, int runs) {
  return " (run " + std::to_string(run) + "/" + std::to_string(runs) + ")";
}

// Microseconds per request-reply of one native pinger with one echo agent.
double round_trip_us(const scheduler_settings& settings,
                     const ping_pong_workload& workload,
                     const spawn_backend& backend) {
  return 1e6 / corral_round_trips_per_s(settings, workload, backend);
}

} // namespace

int tee_steps_per_run() {
  return 4;
}

void add_tee_rows(const bench_options& options,
                  const scheduler_settings& settings,
                  const progress_step& step, std::vector<result_row>& rows) {
  auto spawn_p50 = make_tee_row(
    "tee.spawn.p50", "Tee spawn p50, simulated, attestation included", "us",
    target_kind::at_most, 30'000);
  auto spawn_p99 = make_tee_row(
    "tee.spawn.p99", "Tee spawn p99, simulated, attestation included", "us",
    target_kind::none, 0);
  auto round_trip = make_tee_row(
    "tee.round_trip", "request-reply to a Tee echo through the sealed channel",
    "us", target_kind::ratio_to_caf_at_most, 3);
  auto ping_pong = options.ping_pong;
  ping_pong.pairs = 1;
  // Wasm and Tee alternate, so that a drift of the machine's speed
  // affects both alike; both spawn the same number of agents.
  for (int run = 1; run <= options.runs; ++run) {
    auto suffix = run_suffix(run, options.runs);
    step(spawn_p50.label + ", Tee" + suffix);
    auto tee = spawn_latency(settings, options.tee.agents,
                             tee_echo_backend());
    step(spawn_p50.label + ", Wasm" + suffix);
    auto wasm = spawn_latency(settings, options.tee.agents,
                              echo_backend(true));
    spawn_p50.corral_runs.push_back(tee.p50_us);
    spawn_p99.corral_runs.push_back(tee.p99_us);
    spawn_p50.caf_runs.push_back(wasm.p50_us);
    spawn_p99.caf_runs.push_back(wasm.p99_us);

    step(round_trip.label + ", Tee" + suffix);
    round_trip.corral_runs.push_back(
      round_trip_us(settings, ping_pong, tee_echo_backend()));
    step(round_trip.label + ", Wasm" + suffix);
    round_trip.caf_runs.push_back(
      round_trip_us(settings, ping_pong, echo_backend(true)));
  }
  rows.push_back(std::move(spawn_p50));
  rows.push_back(std::move(spawn_p99));
  rows.push_back(std::move(round_trip));
}

} // namespace corral::bench
