#include "bench/scheduler_settings.hpp"

#include <algorithm>
#include <sstream>
#include <thread>

#include <sys/prctl.h>

#include <caf/atom.hpp>

namespace corral::bench {

namespace {

template <class T>
void set_if(caf::actor_system_config& cfg, const char* key,
            const std::optional<T>& value) {
  if (value)
    cfg.set(key, *value);
}

void set_if(caf::actor_system_config& cfg, const char* key,
            const std::optional<std::chrono::microseconds>& value) {
  if (value)
    cfg.set(key, caf::timespan{*value});
}

} // namespace

scheduler_settings::scheduler_settings() {
  // node_config's work-stealing defaults differ from CAF's; start from
  // CAF's.
  auto& ws = work_stealing;
  ws.aggressive_poll_attempts.reset();
  ws.aggressive_steal_interval.reset();
  ws.moderate_poll_attempts.reset();
  ws.moderate_steal_interval.reset();
  ws.moderate_sleep.reset();
  ws.relaxed_steal_interval.reset();
  ws.relaxed_sleep.reset();
}

void scheduler_settings::apply(caf::actor_system_config& cfg) const {
  if (threads > 0)
    cfg.set("scheduler.max-threads", threads);
  if (max_throughput > 0)
    cfg.set("scheduler.max-throughput", max_throughput);
  if (!policy.empty())
    cfg.set("scheduler.policy", caf::atom_from_string(policy));
  const auto& ws = work_stealing;
  set_if(cfg, "work-stealing.aggressive-poll-attempts",
         ws.aggressive_poll_attempts);
  set_if(cfg, "work-stealing.aggressive-steal-interval",
         ws.aggressive_steal_interval);
  set_if(cfg, "work-stealing.moderate-poll-attempts",
         ws.moderate_poll_attempts);
  set_if(cfg, "work-stealing.moderate-steal-interval",
         ws.moderate_steal_interval);
  set_if(cfg, "work-stealing.moderate-sleep-duration", ws.moderate_sleep);
  set_if(cfg, "work-stealing.relaxed-steal-interval",
         ws.relaxed_steal_interval);
  set_if(cfg, "work-stealing.relaxed-sleep-duration", ws.relaxed_sleep);
  cfg.set("logger.console", caf::atom("none"));
}

node_config scheduler_settings::make_node_config() const {
  node_config result;
  result.node_id = "bench";
  result.scheduler_threads = threads;
  if (max_throughput > 0)
    result.scheduler_max_throughput = max_throughput;
  if (!policy.empty())
    result.scheduler_policy = policy;
  result.work_stealing = work_stealing;
  return result;
}

std::string scheduler_settings::describe() const {
  std::ostringstream out;
  auto add = [&](const char* key, const auto& value) {
    out << (out.tellp() > 0 ? " " : "") << key << '=' << value;
  };
  auto add_count = [&](const char* key, const std::optional<std::size_t>& x) {
    if (x)
      add(key, *x);
  };
  auto add_duration = [&](const char* key,
                          const std::optional<std::chrono::microseconds>& x) {
    if (x)
      add(key, std::to_string(x->count()) + "us");
  };

  if (threads > 0)
    add("max-threads", threads);
  if (max_throughput > 0)
    add("max-throughput", max_throughput);
  if (!policy.empty())
    add("policy", policy);

  const auto& ws = work_stealing;
  add_count("aggressive-poll-attempts", ws.aggressive_poll_attempts);
  add_count("aggressive-steal-interval", ws.aggressive_steal_interval);
  add_count("moderate-poll-attempts", ws.moderate_poll_attempts);
  add_count("moderate-steal-interval", ws.moderate_steal_interval);
  add_duration("moderate-sleep-duration", ws.moderate_sleep);
  add_count("relaxed-steal-interval", ws.relaxed_steal_interval);
  add_duration("relaxed-sleep-duration", ws.relaxed_sleep);
  if (timer_slack_ns > 0)
    add("timer-slack", std::to_string(timer_slack_ns) + "ns");

  return out.tellp() > 0 ? out.str() : "library defaults";
}

timer_slack_scope::timer_slack_scope(unsigned long slack_ns) {
  if (slack_ns == 0)
    return;
  previous_ = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  prctl(PR_SET_TIMERSLACK, slack_ns, 0, 0, 0);
}

timer_slack_scope::~timer_slack_scope() {
  if (previous_ > 0)
    prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(previous_), 0, 0, 0);
}

scheduler_settings node_default_settings() {
  node_config defaults;
  scheduler_settings result;
  result.label = "corral-defaults";
  // A node starts one worker per core when the field is 0; raw CAF would
  // start at least 4, so the baseline is given the node's count.
  result.threads = defaults.scheduler_threads > 0
                     ? defaults.scheduler_threads
                     : std::max(1u, std::thread::hardware_concurrency());
  result.max_throughput = defaults.scheduler_max_throughput;
  result.policy = defaults.scheduler_policy;
  result.work_stealing = defaults.work_stealing;
  return result;
}

scheduler_settings caf_default_settings() {
  scheduler_settings result;
  result.label = "caf-defaults";
  return result;
}

std::vector<scheduler_settings> sweep_profiles() {
  using std::chrono::microseconds;
  std::vector<scheduler_settings> result;
  result.push_back(caf_default_settings());
  result.push_back(node_default_settings());

  auto variant = [&](std::string label, auto change) {
    auto settings = caf_default_settings();
    settings.label = std::move(label);
    change(settings);
    result.push_back(std::move(settings));
  };
  variant("threads-2", [](auto& s) { s.threads = 2; });
  variant("threads-1", [](auto& s) { s.threads = 1; });
  variant("sharing-2", [](auto& s) {
    s.threads = 2;
    s.policy = "sharing";
  });
  variant("threads-2-throughput-10", [](auto& s) {
    s.threads = 2;
    s.max_throughput = 10;
  });
  variant("threads-2-steal-1", [](auto& s) {
    s.threads = 2;
    s.work_stealing.aggressive_steal_interval = 1;
    s.work_stealing.moderate_steal_interval = 1;
  });
  variant("threads-2-aggressive-10k", [](auto& s) {
    s.threads = 2;
    s.work_stealing.aggressive_poll_attempts = 10'000;
  });
  variant("threads-2-moderate-sleep-10us", [](auto& s) {
    s.threads = 2;
    s.work_stealing.moderate_sleep = microseconds{10};
  });
  variant("threads-2-slack-1us", [](auto& s) {
    s.threads = 2;
    s.timer_slack_ns = 1000;
  });
  variant("threads-2-no-moderate", [](auto& s) {
    s.threads = 2;
    s.work_stealing.moderate_poll_attempts = 0;
  });
  variant("threads-2-no-moderate-relaxed-1ms", [](auto& s) {
    s.threads = 2;
    s.work_stealing.moderate_poll_attempts = 0;
    s.work_stealing.relaxed_sleep = microseconds{1000};
  });
  variant("no-moderate", [](auto& s) {
    s.work_stealing.moderate_poll_attempts = 0;
  });
  return result;
}

} // namespace corral::bench
