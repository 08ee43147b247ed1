#include "bench/caf_runs.hpp"

#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "bench/process_memory.hpp"
#include "bench/run_state.hpp"
#include "bench/statistics.hpp"

namespace corral::bench {

namespace {

using clock_type = std::chrono::steady_clock;
using ping_atom = caf::atom_constant<caf::atom("ping")>;
using start_atom = caf::atom_constant<caf::atom("start")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;

double elapsed_us(clock_type::time_point since) {
  return std::chrono::duration<double, std::micro>(clock_type::now() - since)
    .count();
}

// An actor system with the settings applied; its workers inherit the
// settings' timer slack.
std::unique_ptr<caf::actor_system>
start_system(const scheduler_settings& settings,
             caf::actor_system_config& cfg) {
  settings.apply(cfg);
  timer_slack_scope slack{settings.timer_slack_ns};
  return std::make_unique<caf::actor_system>(cfg);
}

void stop_all(const std::vector<caf::actor>& actors) {
  for (const auto& actor : actors)
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

// Replies to every ping with its payload; idle in the spawn measurements.
class echo_actor : public caf::event_based_actor {
public:
  using caf::event_based_actor::event_based_actor;

  caf::behavior make_behavior() override {
    return {[](ping_atom, std::string& payload) { return payload; }};
  }
};

// Spawns `count` echo actors in a loop when it receives start.
class spawner_actor : public caf::event_based_actor {
public:
  spawner_actor(caf::actor_config& cfg, std::size_t count,
                std::promise<void>* done)
    : caf::event_based_actor(cfg), count_(count), done_(done) {
  }

  caf::behavior make_behavior() override {
    return {[this](start_atom) {
      children_.reserve(count_);
      for (std::size_t i = 0; i < count_; ++i)
        children_.push_back(spawn<echo_actor>());
      done_->set_value();
    }};
  }

  void on_exit() override {
    stop_all(children_);
    children_.clear();
  }

private:
  std::size_t count_;
  std::promise<void>* done_;
  std::vector<caf::actor> children_;
};

// Keeps one request to its peer in flight until the run's stop flag is
// set.
class pinger_actor : public caf::event_based_actor {
public:
  pinger_actor(caf::actor_config& cfg, caf::actor peer, ping_pong_state* state,
               std::size_t slot)
    : caf::event_based_actor(cfg),
      peer_(std::move(peer)),
      state_(state),
      counter_(&state->counters[slot].value) {
  }

  caf::behavior make_behavior() override {
    return {[this](start_atom) { ping(); }};
  }

private:
  void ping() {
    // A zero timeout stands for none: CAF then arms no timer per request.
    auto timeout = state_->timeout.count() == 0
                     ? caf::duration{caf::infinite}
                     : caf::duration{state_->timeout};
    request(peer_, timeout, ping_atom::value, state_->payload)
      .then(
        [this](std::string&) {
          counter_->fetch_add(1, std::memory_order_relaxed);
          if (state_->stop.load(std::memory_order_relaxed))
            state_->stopped.fetch_add(1);
          else
            ping();
        },
        [this](caf::error&) {
          state_->failures.fetch_add(1);
          state_->stopped.fetch_add(1);
        });
  }

  caf::actor peer_;
  ping_pong_state* state_;
  std::atomic<std::uint64_t>* counter_;
};

struct prober_state {
  low_rate_workload workload;
  std::string payload;
  std::vector<double> samples_us;
  std::size_t failures = 0;
  std::promise<void> done;
};

// Sends one request per tick at the workload's rate and records each
// round trip.
class prober_actor : public caf::event_based_actor {
public:
  prober_actor(caf::actor_config& cfg, caf::actor peer, prober_state* state)
    : caf::event_based_actor(cfg), peer_(std::move(peer)), state_(state) {
  }

  caf::behavior make_behavior() override {
    return {
      [this](start_atom) { probe(); },
      [this](tick_atom) { probe(); },
    };
  }

private:
  void probe() {
    if (++issued_ < state_->workload.samples)
      delayed_send(this, state_->workload.interval(), tick_atom::value);
    auto sent = clock_type::now();
    request(peer_, state_->workload.timeout, ping_atom::value, state_->payload)
      .then([this, sent](std::string&) { record(elapsed_us(sent)); },
            [this](caf::error&) {
              ++state_->failures;
              record(-1);
            });
  }

  void record(double latency_us) {
    if (latency_us >= 0)
      state_->samples_us.push_back(latency_us);
    if (++answered_ == state_->workload.samples)
      state_->done.set_value();
  }

  caf::actor peer_;
  prober_state* state_;
  std::size_t issued_ = 0;
  std::size_t answered_ = 0;
};

latency_figures summarize(const std::vector<double>& samples_us) {
  return {percentile(samples_us, 0.50), percentile(samples_us, 0.99)};
}

} // namespace

double caf_spawn_outside_us(const scheduler_settings& settings,
                            const spawn_workload& workload) {
  caf::actor_system_config cfg;
  auto system = start_system(settings, cfg);
  std::vector<caf::actor> actors;
  actors.reserve(workload.agents);
  auto started = clock_type::now();
  for (std::size_t i = 0; i < workload.agents; ++i)
    actors.push_back(system->spawn<echo_actor>());
  auto per_actor = elapsed_us(started) / workload.agents;
  stop_all(actors);
  return per_actor;
}

double caf_spawn_inside_us(const scheduler_settings& settings,
                           const spawn_workload& workload) {
  caf::actor_system_config cfg;
  auto system = start_system(settings, cfg);
  std::promise<void> done;
  auto finished = done.get_future();
  auto spawner = system->spawn<spawner_actor>(workload.agents, &done);
  auto started = clock_type::now();
  caf::anon_send(spawner, start_atom::value);
  if (finished.wait_for(std::chrono::minutes{2}) != std::future_status::ready)
    throw std::runtime_error("spawning actors from an actor timed out");
  auto per_actor = elapsed_us(started) / workload.agents;
  caf::anon_send_exit(spawner, caf::exit_reason::user_shutdown);
  return per_actor;
}

double caf_idle_actor_bytes(const scheduler_settings& settings,
                            const spawn_workload& workload) {
  caf::actor_system_config cfg;
  auto system = start_system(settings, cfg);
  std::vector<caf::actor> actors;
  actors.reserve(workload.agents + 100);
  for (std::size_t i = 0; i < 100; ++i)
    actors.push_back(system->spawn<echo_actor>());
  auto before = resident_bytes();
  for (std::size_t i = 0; i < workload.agents; ++i)
    actors.push_back(system->spawn<echo_actor>());
  auto after = resident_bytes();
  stop_all(actors);
  return static_cast<double>(after - before) / workload.agents;
}

double caf_round_trips_per_s(const scheduler_settings& settings,
                             const ping_pong_workload& workload) {
  caf::actor_system_config cfg;
  auto system = start_system(settings, cfg);
  ping_pong_state state{workload.pairs};
  state.payload.assign(workload.payload_bytes, 'x');
  state.timeout = workload.timeout;

  std::vector<caf::actor> actors;
  for (std::size_t i = 0; i < workload.pairs; ++i) {
    auto echo = system->spawn<echo_actor>();
    actors.push_back(echo);
    actors.push_back(system->spawn<pinger_actor>(echo, &state, i));
  }
  for (std::size_t i = 1; i < actors.size(); i += 2)
    caf::anon_send(actors[i], start_atom::value);

  std::this_thread::sleep_for(workload.warmup);
  auto first = state.total();
  auto started = clock_type::now();
  std::this_thread::sleep_for(workload.duration);
  auto last = state.total();
  auto seconds = elapsed_us(started) / 1e6;
  state.stop = true;
  auto deadline = clock_type::now() + std::chrono::seconds{10};
  while (state.stopped.load() < workload.pairs) {
    if (clock_type::now() > deadline)
      throw std::runtime_error("raw CAF ping-pong pairs did not stop");
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
  stop_all(actors);
  if (state.failures > 0)
    throw std::runtime_error("raw CAF ping-pong requests failed");
  return static_cast<double>(last - first) / seconds;
}

latency_figures caf_actor_latency(const scheduler_settings& settings,
                                  const low_rate_workload& workload) {
  caf::actor_system_config cfg;
  auto system = start_system(settings, cfg);
  prober_state state;
  state.workload = workload;
  state.payload.assign(workload.payload_bytes, 'x');
  state.samples_us.reserve(workload.samples);
  auto finished = state.done.get_future();

  auto echo = system->spawn<echo_actor>();
  auto prober = system->spawn<prober_actor>(echo, &state);
  caf::anon_send(prober, start_atom::value);
  auto limit = workload.interval() * (workload.samples + 10)
               + std::chrono::seconds{10};
  if (finished.wait_for(limit) != std::future_status::ready)
    throw std::runtime_error("raw CAF low-rate requests timed out");
  stop_all({echo, prober});
  if (state.failures > 0)
    throw std::runtime_error("raw CAF low-rate requests failed");
  return summarize(state.samples_us);
}

latency_figures caf_scoped_latency(const scheduler_settings& settings,
                                   const low_rate_workload& workload) {
  caf::actor_system_config cfg;
  auto system = start_system(settings, cfg);
  auto echo = system->spawn<echo_actor>();
  std::string payload(workload.payload_bytes, 'x');
  std::vector<double> samples_us;
  samples_us.reserve(workload.samples);
  {
    caf::scoped_actor self{*system};
    auto next = clock_type::now();
    for (std::size_t i = 0; i < workload.samples; ++i) {
      next += workload.interval();
      std::this_thread::sleep_until(next);
      auto sent = clock_type::now();
      bool failed = false;
      self->request(echo, workload.timeout, ping_atom::value, payload)
        .receive([](std::string&) {}, [&](caf::error&) { failed = true; });
      if (failed)
        throw std::runtime_error("raw CAF scoped_actor request failed");
      samples_us.push_back(elapsed_us(sent));
    }
  }
  stop_all({echo});
  return summarize(samples_us);
}

} // namespace corral::bench
