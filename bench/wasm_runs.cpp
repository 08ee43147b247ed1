#include "bench/wasm_runs.hpp"

#include <future>
#include <stdexcept>
#include <vector>

#include "actors/agent.hpp"
#include "actors/agent_context.hpp"
#include "actors/error.hpp"
#include "backends/native/agent_registry.hpp"
#include "bench/bench_node.hpp"
#include "bench/corral_runs.hpp"
#include "bench/process_memory.hpp"
#include "bench/statistics.hpp"
#include "examples/wasm/kernel.h"

namespace corral::bench {

namespace {

spawn_request echo_request(const std::string& agent_id,
                           const spawn_backend& backend) {
  auto request = make_request(agent_id, "bench_echo");
  request.backend = backend;
  return request;
}

std::string ask_or_throw(node& host, const std::string& target,
                         const std::string& topic, const std::string& payload,
                         std::chrono::milliseconds timeout) {
  auto reply = host.request(target, topic, payload, timeout);
  if (!reply)
    throw std::runtime_error("request " + topic + " to " + target
                             + " failed: " + describe(reply.error()));
  return reply->payload;
}

// Spawns `count` echo agents one after the other from inside the node,
// each after the previous one's result, and records every spawn's time.
// Measuring inside keeps the waking of idle threads out of the figure.
struct sequence_state {
  std::size_t count = 0;
  spawn_backend backend;
  std::vector<double> samples_us;
  std::string failure;
  std::promise<void> done;
};

class sequential_spawner : public agent {
public:
  explicit sequential_spawner(std::shared_ptr<sequence_state> state)
    : state_(std::move(state)) {
  }

  std::optional<std::string> on_message(agent_context& ctx,
                                        const message& msg) override {
    if (msg.topic == "start")
      next(ctx);
    return std::nullopt;
  }

private:
  void next(agent_context& ctx) {
    if (issued_ == state_->count) {
      state_->done.set_value();
      return;
    }
    auto request = echo_request("seq-" + std::to_string(issued_++),
                                state_->backend);
    auto started = clock_type::now();
    ctx.spawn(std::move(request),
              [this, &ctx, started](caf::expected<spawn_result> result) {
                if (!result) {
                  state_->failure = describe(result.error());
                  state_->done.set_value();
                  return;
                }
                state_->samples_us.push_back(elapsed_us(started));
                next(ctx);
              });
  }

  std::shared_ptr<sequence_state> state_;
  std::size_t issued_ = 0;
};

} // namespace

std::string wasm_examples_dir() {
  return CORRAL_WASM_EXAMPLES_DIR;
}

spawn_backend echo_backend(bool wasm) {
  if (!wasm)
    return native_backend{};
  return wasm_backend{wasm_examples_dir() + "/echo.wat"};
}

latency_figures spawn_latency(const scheduler_settings& settings,
                              std::size_t agents,
                              const spawn_backend& backend) {
  register_echo_agent();
  auto state = std::make_shared<sequence_state>();
  state->count = agents;
  state->backend = backend;
  state->samples_us.reserve(agents);
  agent_registry::instance().add("bench_sequential_spawner", [state] {
    return std::make_unique<sequential_spawner>(state);
  });
  auto finished = state->done.get_future();
  auto host = start_node(settings);
  // The first spawn of a module compiles it; it is not counted.
  spawn_or_throw(*host, echo_request("first", backend));
  auto spawner = spawn_or_throw(
    *host, make_request("spawner", "bench_sequential_spawner"));
  host->send(std::to_string(spawner), "start", "");
  if (finished.wait_for(std::chrono::minutes{2}) != std::future_status::ready)
    throw std::runtime_error("sequential spawns from an agent timed out");
  if (!state->failure.empty())
    throw std::runtime_error("a sequential spawn failed: " + state->failure);
  host.reset();
  return {percentile(state->samples_us, 0.50),
          percentile(state->samples_us, 0.99)};
}

double idle_bytes(const scheduler_settings& settings, std::size_t agents,
                  const spawn_backend& backend) {
  register_echo_agent();
  auto host = start_node(settings);
  // A few agents first, so that one-time allocations are not counted.
  for (std::size_t i = 0; i < 100; ++i)
    spawn_or_throw(*host, echo_request("warmup-" + std::to_string(i), backend));
  auto before = resident_bytes();
  for (std::size_t i = 0; i < agents; ++i)
    spawn_or_throw(*host, echo_request("idle-" + std::to_string(i), backend));
  auto after = resident_bytes();
  return static_cast<double>(after - before) / agents;
}

double concurrent_wasm_agents(const scheduler_settings& settings,
                              std::size_t agents) {
  auto host = start_node(settings);
  auto backend = echo_backend(true);
  for (std::size_t i = 0; i < agents; ++i)
    spawn_or_throw(*host, echo_request("w" + std::to_string(i), backend));
  std::size_t answered = 0;
  for (std::size_t i = 0; i < agents; ++i) {
    auto id = "w" + std::to_string(i);
    if (ask_or_throw(*host, id, "ping", id, std::chrono::seconds{5}) == id)
      ++answered;
  }
  auto listed = host->list();
  if (!listed || listed->size() < agents)
    throw std::runtime_error("fewer than " + std::to_string(agents)
                             + " WASM agents are alive after the run");
  host.reset();
  return static_cast<double>(answered);
}

double native_kernel_ms(std::uint32_t rounds, int calls) {
  std::vector<double> samples;
  volatile std::uint32_t sink = 0;
  for (int i = 0; i < calls; ++i) {
    auto started = clock_type::now();
    sink = sink + corral_kernel(rounds);
    samples.push_back(elapsed_us(started) / 1000);
  }
  return median(samples);
}

double wasm_kernel_ms(const scheduler_settings& settings,
                      std::uint32_t rounds, int calls) {
  auto host = start_node(settings);
  auto request = make_request("kernel", "bench_echo");
  request.backend = wasm_backend{wasm_examples_dir() + "/kernel_agent.wasm"};
  spawn_or_throw(*host, request);
  auto expected = std::to_string(corral_kernel(rounds));
  std::vector<double> samples;
  for (int i = 0; i < calls; ++i) {
    auto started = clock_type::now();
    auto answer = ask_or_throw(*host, "kernel", "run", std::to_string(rounds),
                               std::chrono::minutes{2});
    samples.push_back(elapsed_us(started) / 1000);
    if (answer != expected)
      throw std::runtime_error("the WASM kernel returned " + answer
                               + ", the native kernel "
                               + expected);
  }
  host.reset();
  return median(samples);
}

} // namespace corral::bench
