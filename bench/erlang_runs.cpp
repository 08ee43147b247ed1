#include "bench/erlang_runs.hpp"

#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <unistd.h>

#include "bench/subprocess.hpp"

namespace corral::bench {

namespace {

namespace fs = std::filesystem;

// Returns the full path of `program` if an executable of that name is on
// PATH.
std::optional<fs::path> find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr)
    return std::nullopt;
  std::istringstream folders{path};
  std::string folder;
  while (std::getline(folders, folder, ':')) {
    auto candidate = fs::path{folder.empty() ? "." : folder} / program;
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return std::nullopt;
}

// The source of module `name`: installed next to the executable by the
// build, or in the source tree.
std::optional<fs::path> find_module_source(const std::string& name) {
  std::error_code ignored;
  auto exe = fs::read_symlink("/proc/self/exe", ignored);
  std::vector<fs::path> candidates;
  if (!exe.empty())
    candidates.push_back(exe.parent_path() / "erlang" / (name + ".erl"));
  candidates.push_back(fs::path{CORRAL_BENCH_SOURCE_DIR} / "erlang"
                       / (name + ".erl"));
  for (const auto& candidate : candidates)
    if (fs::exists(candidate, ignored))
      return candidate;
  return std::nullopt;
}

// Reads the "key value" lines that the Erlang modules print.
std::map<std::string, double> read_values(const std::string& text) {
  std::map<std::string, double> values;
  std::istringstream lines{text};
  std::string key;
  double value = 0;
  while (lines >> key >> value)
    values[key] = value;
  return values;
}

double take_value(const std::map<std::string, double>& values,
                  const std::string& name, const std::string& output) {
  auto found = values.find(name);
  if (found == values.end())
    throw std::runtime_error("the Erlang baseline printed no " + name
                             + "; its output was: " + output);
  return found->second;
}

std::string join(const std::vector<std::size_t>& values) {
  std::string result;
  for (auto value : values)
    result += (result.empty() ? "" : ",") + std::to_string(value);
  return result;
}

} // namespace

erlang_baseline::erlang_baseline(fs::path folder)
  : folder_(std::move(folder)) {
}

erlang_baseline::erlang_baseline(erlang_baseline&& other) noexcept
  : folder_(std::move(other.folder_)), release_(std::move(other.release_)) {
  other.folder_.clear();
}

erlang_baseline::~erlang_baseline() {
  if (folder_.empty())
    return;
  std::error_code ignored;
  fs::remove_all(folder_, ignored);
}

std::optional<erlang_baseline> erlang_baseline::prepare(std::string& reason) {
  if (!find_on_path("erl") || !find_on_path("erlc")) {
    reason = "erl not installed";
    return std::nullopt;
  }
  auto source = find_module_source("corral_bench");
  auto distribution_source = find_module_source("corral_dist_bench");
  if (!source || !distribution_source) {
    reason = "bench/erlang/corral_bench.erl or corral_dist_bench.erl not "
             "found";
    return std::nullopt;
  }
  std::string pattern = (fs::temp_directory_path() / "corral-bench-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) {
    reason = "cannot create a temporary folder for the Erlang module";
    return std::nullopt;
  }
  erlang_baseline result{fs::path{pattern}};
  auto compiled = run_command("erlc -o " + shell_quote(pattern) + " "
                              + shell_quote(source->string()) + " "
                              + shell_quote(distribution_source->string())
                              + " 2>&1");
  if (compiled.exit_code != 0) {
    reason = "erlc failed on " + source->parent_path().string() + ": "
             + compiled.text;
    return std::nullopt;
  }
  auto release = run_command(
    "erl -noshell -eval "
    "'io:format(\"~s\", [erlang:system_info(otp_release)]), halt().'");
  result.release_ = release.exit_code == 0 ? release.text : "unknown";
  return result;
}

erlang_figures erlang_baseline::run(const spawn_workload& spawning,
                                    const std::vector<std::size_t>& pairs,
                                    const ping_pong_workload& ping_pong,
                                    const low_rate_workload& low_rate) const {
  std::ostringstream command;
  command << "erl -noshell -pa " << shell_quote(folder_.string())
          << " -run corral_bench main " << spawning.agents << ' '
          << join(pairs) << ' ' << ping_pong.warmup.count() << ' '
          << ping_pong.duration.count() << ' ' << ping_pong.payload_bytes
          << ' ' << static_cast<long>(low_rate.rate_hz) << ' '
          << low_rate.samples;
  auto output = run_command(command.str());
  if (output.exit_code != 0)
    throw std::runtime_error("erl exited with code "
                             + std::to_string(output.exit_code) + ": "
                             + output.text);

  auto values = read_values(output.text);
  auto take = [&](const std::string& name) {
    return take_value(values, name, output.text);
  };

  erlang_figures result;
  result.spawn_us = take("spawn_us");
  result.idle_bytes = take("idle_bytes");
  for (auto count : pairs)
    result.round_trips_per_s[count]
      = take("round_trips_per_s_" + std::to_string(count));
  result.latency = {take("latency_p50_us"), take("latency_p99_us")};
  return result;
}

erlang_distribution_figures
erlang_baseline::run_distribution(const cluster_workload& work) const {
  // Long names with the address keep both nodes and epmd on 127.0.0.1,
  // whatever the host name resolves to.
  std::ostringstream command;
  command << "ERL_EPMD_ADDRESS=127.0.0.1 erl -name corral_bench_main@127.0.0.1"
          << " -setcookie corral_bench -kernel inet_dist_use_interface"
          << " '{127,0,0,1}' -noshell -pa " << shell_quote(folder_.string())
          << " -run corral_dist_bench main " << work.warmup.count() << ' '
          << work.duration.count() << ' ' << work.round_trips << ' '
          << work.warmup_round_trips;
  auto output = run_command(command.str());
  if (output.exit_code != 0)
    throw std::runtime_error("erl (distribution) exited with code "
                             + std::to_string(output.exit_code) + ": "
                             + output.text);
  auto values = read_values(output.text);
  erlang_distribution_figures result;
  for (std::size_t bytes : {64, 4096})
    result.messages_per_s[bytes] = take_value(
      values, "messages_per_s_" + std::to_string(bytes), output.text);
  result.round_trip = {take_value(values, "rtt_p50_us", output.text),
                       take_value(values, "rtt_p99_us", output.text)};
  return result;
}

} // namespace corral::bench
