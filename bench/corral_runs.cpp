#include "bench/corral_runs.hpp"

#include <atomic>
#include <future>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "actors/agent_context.hpp"
#include "actors/error.hpp"
#include "actors/node.hpp"
#include "backends/native/agent_registry.hpp"
#include "bench/bench_node.hpp"
#include "bench/process_memory.hpp"
#include "bench/run_state.hpp"
#include "bench/statistics.hpp"

namespace corral::bench {

namespace {

// -- agents --------------------------------------------------------------------

// Replies to every request with its payload. The spawn and memory
// measurements use it as an idle agent, since nothing sends to it there.
class echo_agent : public agent {
public:
  std::optional<std::string> on_message(agent_context&,
                                        const message& msg) override {
    return msg.payload;
  }
};

// Spawns `count` children at once when it receives "start" and fulfils
// `done` when every spawn has returned its result.
struct spawner_state {
  std::size_t count = 0;
  std::atomic<std::size_t> failures{0};
  std::promise<void> done;
};

class spawner_agent : public agent {
public:
  explicit spawner_agent(std::shared_ptr<spawner_state> state)
    : state_(std::move(state)) {
  }

  std::optional<std::string> on_message(agent_context& ctx,
                                        const message& msg) override {
    if (msg.topic != "start")
      return std::nullopt;
    for (std::size_t i = 0; i < state_->count; ++i) {
      auto request = make_request("child-" + std::to_string(i), "bench_echo");
      ctx.spawn(std::move(request), [this](caf::expected<spawn_result> x) {
        if (!x)
          state_->failures.fetch_add(1);
        if (++answered_ == state_->count)
          state_->done.set_value();
      });
    }
    return std::nullopt;
  }

private:
  std::shared_ptr<spawner_state> state_;
  std::size_t answered_ = 0;
};

// Keeps one request to its peer in flight from "start" until the run's
// stop flag is set.
class pinger_agent : public agent {
public:
  explicit pinger_agent(std::shared_ptr<ping_pong_state> state)
    : state_(std::move(state)) {
  }

  void on_start(agent_context& ctx) override {
    peer_ = ctx.env().at("peer");
    counter_ = &state_->counters[std::stoul(ctx.env().at("slot"))].value;
  }

  std::optional<std::string> on_message(agent_context& ctx,
                                        const message& msg) override {
    if (msg.topic == "start")
      ping(ctx);
    return std::nullopt;
  }

private:
  void ping(agent_context& ctx) {
    ctx.request(
      peer_, "ping", state_->payload, state_->timeout,
      [this, &ctx](message&) {
        counter_->fetch_add(1, std::memory_order_relaxed);
        if (state_->stop.load(std::memory_order_relaxed))
          state_->stopped.fetch_add(1);
        else
          ping(ctx);
      },
      [this](const caf::error&) {
        state_->failures.fetch_add(1);
        state_->stopped.fetch_add(1);
      });
  }

  std::shared_ptr<ping_pong_state> state_;
  std::string peer_;
  std::atomic<std::uint64_t>* counter_ = nullptr;
};

// Sends one request per tick at the workload's rate and records each
// round trip until it has `samples` of them.
struct prober_state {
  low_rate_workload workload;
  std::string payload;
  std::vector<double> samples_us;
  std::atomic<std::size_t> failures{0};
  std::promise<void> done;
};

class prober_agent : public agent {
public:
  explicit prober_agent(std::shared_ptr<prober_state> state)
    : state_(std::move(state)) {
  }

  void on_start(agent_context& ctx) override {
    peer_ = ctx.env().at("peer");
  }

  std::optional<std::string> on_message(agent_context& ctx,
                                        const message& msg) override {
    if (msg.topic == "start" || msg.topic == "tick")
      probe(ctx);
    return std::nullopt;
  }

private:
  void probe(agent_context& ctx) {
    if (++issued_ < state_->workload.samples) {
      message tick;
      tick.topic = "tick";
      ctx.self()->delayed_send(ctx.self(), state_->workload.interval(),
                               std::move(tick));
    }
    auto sent = clock_type::now();
    ctx.request(
      peer_, "ping", state_->payload, state_->workload.timeout,
      [this, sent](message&) { record(elapsed_us(sent)); },
      [this](const caf::error&) {
        state_->failures.fetch_add(1);
        record(-1);
      });
  }

  void record(double latency_us) {
    if (latency_us >= 0)
      state_->samples_us.push_back(latency_us);
    if (++answered_ == state_->workload.samples)
      state_->done.set_value();
  }

  std::shared_ptr<prober_state> state_;
  std::string peer_;
  std::size_t issued_ = 0;
  std::size_t answered_ = 0;
};

template <class Agent, class State>
void register_with_state(const std::string& name,
                         std::shared_ptr<State> state) {
  agent_registry::instance().add(
    name, [state] { return std::make_unique<Agent>(state); });
}

void register_plain_agents() {
  register_echo_agent();
}

latency_figures summarize(const std::vector<double>& samples_us) {
  return {percentile(samples_us, 0.50), percentile(samples_us, 0.99)};
}

} // namespace

void register_echo_agent() {
  register_agent_type<echo_agent>("bench_echo");
}

double corral_spawn_outside_us(const scheduler_settings& settings,
                               const spawn_workload& workload) {
  register_plain_agents();
  auto host = start_node(settings);
  auto started = clock_type::now();
  for (std::size_t i = 0; i < workload.agents; ++i)
    spawn_or_throw(*host,
                   make_request("idle-" + std::to_string(i), "bench_echo"));
  auto per_agent = elapsed_us(started) / workload.agents;
  host.reset();
  return per_agent;
}

double corral_spawn_inside_us(const scheduler_settings& settings,
                              const spawn_workload& workload) {
  register_plain_agents();
  auto state = std::make_shared<spawner_state>();
  state->count = workload.agents;
  register_with_state<spawner_agent>("bench_spawner", state);
  auto finished = state->done.get_future();
  auto host = start_node(settings);
  auto spawner = spawn_or_throw(*host, make_request("spawner", "bench_spawner"));

  auto started = clock_type::now();
  host->send(std::to_string(spawner), "start", "");
  if (finished.wait_for(std::chrono::minutes{2}) != std::future_status::ready)
    throw std::runtime_error("spawning children from an agent timed out");
  auto per_agent = elapsed_us(started) / workload.agents;
  if (state->failures > 0)
    throw std::runtime_error(std::to_string(state->failures.load())
                             + " spawns from an agent failed");
  host.reset();
  return per_agent;
}

double corral_idle_agent_bytes(const scheduler_settings& settings,
                               const spawn_workload& workload) {
  register_plain_agents();
  auto host = start_node(settings);
  // A few agents first, so that one-time allocations are not counted.
  for (std::size_t i = 0; i < 100; ++i)
    spawn_or_throw(*host,
                   make_request("warmup-" + std::to_string(i), "bench_echo"));
  auto before = resident_bytes();
  pid_type last = 0;
  for (std::size_t i = 0; i < workload.agents; ++i)
    last = spawn_or_throw(*host,
                          make_request("idle-" + std::to_string(i),
                                       "bench_echo"));
  // The kernel adds spawned agents to its table, and creates the actors
  // of native ones, after the spawn returns. It does so before it
  // handles any request, so one inspect waits until every agent exists.
  if (!host->inspect(std::to_string(last)))
    throw std::runtime_error("inspect of the last idle agent failed");
  auto after = resident_bytes();
  return static_cast<double>(after - before) / workload.agents;
}

double corral_round_trips_per_s(const scheduler_settings& settings,
                                const ping_pong_workload& workload,
                                const spawn_backend& echo_backend) {
  register_plain_agents();
  auto state = std::make_shared<ping_pong_state>(workload.pairs);
  state->payload.assign(workload.payload_bytes, 'x');
  state->timeout = workload.timeout;
  register_with_state<pinger_agent>("bench_pinger", state);
  auto host = start_node(settings);

  std::vector<pid_type> pingers;
  for (std::size_t i = 0; i < workload.pairs; ++i) {
    auto index = std::to_string(i);
    auto echo_request = make_request("echo-" + index, "bench_echo");
    echo_request.backend = echo_backend;
    auto echo = spawn_or_throw(*host, echo_request);
    pingers.push_back(spawn_or_throw(
      *host, make_request("pinger-" + index, "bench_pinger",
                          {{"peer", std::to_string(echo)}, {"slot", index}})));
  }
  for (auto pid : pingers)
    host->send(std::to_string(pid), "start", "");

  std::this_thread::sleep_for(workload.warmup);
  auto first = state->total();
  auto started = clock_type::now();
  std::this_thread::sleep_for(workload.duration);
  auto last = state->total();
  auto seconds = elapsed_us(started) / 1e6;
  state->stop = true;
  wait_for([&] { return state->stopped.load() == workload.pairs; },
           std::chrono::seconds{10}, "stopping the ping-pong pairs");
  if (state->failures > 0)
    throw std::runtime_error(std::to_string(state->failures.load())
                             + " ping-pong requests failed");
  host.reset();
  return static_cast<double>(last - first) / seconds;
}

latency_figures corral_agent_latency(const scheduler_settings& settings,
                                     const low_rate_workload& workload) {
  register_plain_agents();
  auto state = std::make_shared<prober_state>();
  state->workload = workload;
  state->payload.assign(workload.payload_bytes, 'x');
  state->samples_us.reserve(workload.samples);
  register_with_state<prober_agent>("bench_prober", state);
  auto finished = state->done.get_future();
  auto host = start_node(settings);

  auto echo = spawn_or_throw(*host, make_request("echo", "bench_echo"));
  auto prober = spawn_or_throw(
    *host,
    make_request("prober", "bench_prober", {{"peer", std::to_string(echo)}}));
  host->send(std::to_string(prober), "start", "");
  auto limit = workload.interval() * (workload.samples + 10)
               + std::chrono::seconds{10};
  if (finished.wait_for(limit) != std::future_status::ready)
    throw std::runtime_error("the low-rate requests from an agent timed out");
  if (state->failures > 0)
    throw std::runtime_error(std::to_string(state->failures.load())
                             + " low-rate requests from an agent failed");
  host.reset();
  return summarize(state->samples_us);
}

latency_figures corral_client_latency(const scheduler_settings& settings,
                                      const low_rate_workload& workload) {
  register_plain_agents();
  auto host = start_node(settings);
  auto echo = std::to_string(
    spawn_or_throw(*host, make_request("echo", "bench_echo")));
  std::string payload(workload.payload_bytes, 'x');

  std::vector<double> samples_us;
  samples_us.reserve(workload.samples);
  auto next = clock_type::now();
  for (std::size_t i = 0; i < workload.samples; ++i) {
    next += workload.interval();
    std::this_thread::sleep_until(next);
    auto sent = clock_type::now();
    auto reply = host->request(echo, "ping", payload, workload.timeout);
    if (!reply)
      throw std::runtime_error("node::request failed: "
                               + describe(reply.error()));
    samples_us.push_back(elapsed_us(sent));
  }
  host.reset();
  return summarize(samples_us);
}

} // namespace corral::bench
