#include "bench/bench_options.hpp"

#include <sstream>
#include <stdexcept>

namespace corral::bench {

namespace {

const std::set<std::string> known_sections = {
  "spawn", "memory", "throughput", "latency", "erlang", "wasm", "tee", "sweep",
  "cluster"};

std::size_t parse_count(const std::string& option, const std::string& text,
                        std::size_t minimum) {
  std::size_t used = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || text[0] == '-'
      || value < minimum)
    throw std::invalid_argument(option + ": expected a whole number >= "
                                + std::to_string(minimum) + ", got '" + text
                                + "'");
  return static_cast<std::size_t>(value);
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream items{text};
  std::string item;
  while (std::getline(items, item, ','))
    result.push_back(item);
  return result;
}

// Small sizes that finish in a few seconds: for CI smoke tests, not for
// quoting.
void apply_quick(bench_options& options) {
  options.quick = true;
  options.runs = 3;
  options.spawning.agents = 2000;
  options.pairs = {1, 2};
  options.ping_pong.warmup = std::chrono::milliseconds{50};
  options.ping_pong.duration = std::chrono::milliseconds{200};
  options.low_rate.samples = 30;
  options.wasm.agents = 500;
  options.wasm.concurrent = 1000;
  options.wasm.kernel_rounds = 1;
  options.wasm.kernel_calls = 3;
  options.tee.agents = 10;
  options.cluster.warmup = std::chrono::milliseconds{50};
  options.cluster.duration = std::chrono::milliseconds{200};
  options.cluster.round_trips = 300;
  options.cluster.warmup_round_trips = 50;
}

} // namespace

std::string usage_text() {
  return R"(usage: corral-bench [options]

Measures corral's native backend against raw CAF (and Erlang/OTP when erl
is on PATH), and the Wasm backend against the native one, in the same run and prints each figure as the median of
several runs, with the ratio corral/baseline and the target it is held to.

options:
  --runs N           runs per figure; the median is shown (default 5)
  --quick            small sizes and 3 runs, for a smoke test of a few
                     seconds; options after it override its sizes
  --agents N         agents spawned per spawn and memory run (default 20000)
  --pairs LIST       ping-pong pair counts, comma-separated (default 1,2,4)
  --duration-ms N    measured time per ping-pong run after a 100 ms
                     warm-up (default 1000)
  --rate HZ          requests per second in the latency runs (default 100)
  --samples N        requests per latency run (default 200)
  --wasm-agents N     agents per WASM spawn and memory run (default 2000)
  --concurrent N     WASM agents kept alive at once (default 10000)
  --tee-agents N     simulated enclaves per Tee spawn run (default 50)
  --only LIST        sections to run, comma-separated: spawn, memory,
                     throughput, latency, erlang, wasm, tee, sweep,
                     cluster
                     (cluster: two cluster nodes against raw ZeroMQ on
                     127.0.0.1, about 14 s per run, not run by default)
  --sweep            also compare scheduler settings under each profile
                     (about 80 s per run; ping-pong runs of at most 500 ms
                     and at most 100 latency samples)
  --profiles LIST    sweep only these profiles, comma-separated
                     (default: all; --help-profiles lists them)
  --csv              print CSV instead of the table
  --json             print JSON (medians and every run) instead of the table
  --no-progress      no progress line on stderr
  --help             print this text

Exit status: 0 when every measurement ran (whether or not a target is met),
1 when a measurement failed, 2 for invalid arguments.
)";
}

std::optional<bench_options> parse_options(int argc, char** argv,
                                           std::string& error, bool& help,
                                           bool& help_profiles) {
  bench_options options;
  help = false;
  help_profiles = false;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc)
          throw std::invalid_argument(arg + ": missing value");
        return argv[++i];
      };
      if (arg == "--help" || arg == "-h") {
        help = true;
      } else if (arg == "--runs") {
        options.runs = static_cast<int>(parse_count(arg, value(), 1));
      } else if (arg == "--quick") {
        apply_quick(options);
      } else if (arg == "--agents") {
        options.spawning.agents = parse_count(arg, value(), 1);
      } else if (arg == "--wasm-agents") {
        options.wasm.agents = parse_count(arg, value(), 1);
      } else if (arg == "--tee-agents") {
        options.tee.agents = parse_count(arg, value(), 1);
      } else if (arg == "--concurrent") {
        options.wasm.concurrent = parse_count(arg, value(), 1);
      } else if (arg == "--pairs") {
        options.pairs.clear();
        for (const auto& item : split(value()))
          options.pairs.push_back(parse_count(arg, item, 1));
        if (options.pairs.empty())
          throw std::invalid_argument("--pairs: expected a list like 1,2,4");
      } else if (arg == "--duration-ms") {
        options.ping_pong.duration
          = std::chrono::milliseconds{parse_count(arg, value(), 10)};
      } else if (arg == "--rate") {
        options.low_rate.rate_hz
          = static_cast<double>(parse_count(arg, value(), 1));
      } else if (arg == "--samples") {
        options.low_rate.samples = parse_count(arg, value(), 1);
      } else if (arg == "--only") {
        options.sections.clear();
        for (const auto& item : split(value())) {
          if (known_sections.count(item) == 0)
            throw std::invalid_argument(
              "--only: unknown section '" + item
              + "'; known: spawn, memory, throughput, latency, erlang, "
                "wasm, sweep, cluster");
          options.sections.insert(item);
        }
      } else if (arg == "--sweep") {
        options.sections.insert("sweep");
      } else if (arg == "--profiles") {
        options.profiles = split(value());
      } else if (arg == "--help-profiles") {
        help_profiles = true;
      } else if (arg == "--csv") {
        options.format = output_format::csv;
      } else if (arg == "--json") {
        options.format = output_format::json;
      } else if (arg == "--no-progress") {
        options.progress = false;
      } else if (arg == "--child-memory") {
        options.child_memory = value();
        if (options.child_memory != "corral" && options.child_memory != "caf"
            && options.child_memory != "wasm")
          throw std::invalid_argument(
            "--child-memory: expected corral, caf or wasm");
      } else {
        throw std::invalid_argument("unknown option '" + arg
                                    + "'; see --help");
      }
    }
  } catch (const std::invalid_argument& x) {
    error = x.what();
    return std::nullopt;
  }
  return options;
}

} // namespace corral::bench
