// corral-request-count: runs a fixed number of agent-to-agent request-reply
// round trips and exits, so that instruction counts (valgrind's callgrind)
// can be divided by a known number of round trips. The pairs, payload and
// timeout are those of corral-bench's request-reply rows. Two calls with
// different counts give the cost per round trip without the node's start
// and stop.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/agent_context.hpp"
#include "backends/native/agent_registry.hpp"
#include "bench/bench_node.hpp"
#include "bench/scheduler_settings.hpp"

namespace corral::bench {

namespace {

struct count_state {
  std::uint64_t round_trips = 0;
  std::string payload;
  std::chrono::milliseconds timeout{5000};
  std::atomic<std::size_t> running{0};
  std::atomic<std::size_t> failures{0};
  std::promise<void> done;
};

class count_echo : public agent {
public:
  std::optional<std::string> on_message(agent_context&,
                                        const message& msg) override {
    return msg.payload;
  }
};

// Sends `round_trips` requests to its peer, one at a time, from "start".
class count_pinger : public agent {
public:
  explicit count_pinger(std::shared_ptr<count_state> state)
    : state_(std::move(state)) {
  }

  void on_start(agent_context& ctx) override {
    peer_ = ctx.env().at("peer");
  }

  std::optional<std::string> on_message(agent_context& ctx,
                                        const message& msg) override {
    if (msg.topic == "start")
      ping(ctx);
    return std::nullopt;
  }

private:
  void ping(agent_context& ctx) {
    if (sent_ == state_->round_trips) {
      finish();
      return;
    }
    ++sent_;
    ctx.request(
      peer_, "ping", state_->payload, state_->timeout,
      [this, &ctx](message&) { ping(ctx); },
      [this](const caf::error&) {
        state_->failures.fetch_add(1);
        finish();
      });
  }

  void finish() {
    if (state_->running.fetch_sub(1) == 1)
      state_->done.set_value();
  }

  std::shared_ptr<count_state> state_;
  std::string peer_;
  std::uint64_t sent_ = 0;
};

std::uint64_t parse_count(const char* text, const char* option) {
  char* end = nullptr;
  auto value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || value == 0)
    throw std::invalid_argument(std::string{option}
                                + ": expected a positive integer, got '"
                                + text + "'");
  return value;
}

int run(int argc, char** argv) {
  auto state = std::make_shared<count_state>();
  state->round_trips = 100'000;
  std::size_t pairs = 1;
  std::size_t payload_bytes = 16;
  auto settings = node_default_settings();
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << "usage: corral-request-count [--round-trips N] "
                   "[--pairs K] [--payload-bytes B] [--threads T]\n"
                   "  --round-trips N    requests per pair (default "
                   "100000)\n"
                   "  --pairs K          pinger/echo pairs (default 1)\n"
                   "  --payload-bytes B  request payload size in bytes "
                   "(default 16)\n"
                   "  --threads T        scheduler threads (default: the "
                   "node's, one per core); 1 keeps an idle worker's\n"
                   "                     polling out of instruction "
                   "counts\n";
      return 0;
    }
    if (i + 1 >= argc)
      throw std::invalid_argument(arg + ": missing value");
    if (arg == "--round-trips")
      state->round_trips = parse_count(argv[++i], "--round-trips");
    else if (arg == "--pairs")
      pairs = parse_count(argv[++i], "--pairs");
    else if (arg == "--payload-bytes")
      payload_bytes = parse_count(argv[++i], "--payload-bytes");
    else if (arg == "--threads")
      settings.threads = parse_count(argv[++i], "--threads");
    else
      throw std::invalid_argument("unknown option " + arg);
  }
  state->payload.assign(payload_bytes, 'x');
  state->running = pairs;
  register_agent_type<count_echo>("count_echo");
  agent_registry::instance().add(
    "count_pinger", [state] { return std::make_unique<count_pinger>(state); });

  auto finished = state->done.get_future();
  auto host = start_node(settings);
  std::vector<pid_type> pingers;
  for (std::size_t i = 0; i < pairs; ++i) {
    auto index = std::to_string(i);
    auto echo = spawn_or_throw(*host, make_request("echo-" + index,
                                                   "count_echo"));
    pingers.push_back(spawn_or_throw(
      *host, make_request("pinger-" + index, "count_pinger",
                          {{"peer", std::to_string(echo)}})));
  }
  auto started = clock_type::now();
  for (auto pid : pingers)
    host->send(std::to_string(pid), "start", "");
  finished.wait();
  auto seconds = elapsed_us(started) / 1e6;
  host.reset();
  auto total = state->round_trips * pairs;
  std::cout << total << " round trips in " << seconds << " s, "
            << static_cast<double>(total) / seconds << " per second, "
            << state->failures.load() << " failed\n";
  return state->failures.load() == 0 ? 0 : 1;
}

} // namespace

} // namespace corral::bench

int main(int argc, char** argv) {
  try {
    return corral::bench::run(argc, argv);
  } catch (const std::exception& x) {
    std::cerr << "corral-request-count: " << x.what() << '\n';
    return 2;
  }
}
