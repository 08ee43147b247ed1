#include "actors/node.hpp"

#include <algorithm>
#include <thread>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/error.hpp"
#include "actors/grace_period.hpp"
#include "actors/kernel.hpp"
#include "actors/local_spawn.hpp"
#include "actors/log.hpp"
#include "actors/remote_routes.hpp"
#include "actors/router.hpp"

namespace corral {

namespace {

// Requests to the kernel answer within a grace period or two; this bound
// only keeps a caller from waiting forever if the kernel is wedged.
constexpr auto kernel_timeout = std::chrono::seconds{120};

void configure_work_stealing(caf::actor_system_config& cfg,
                             const work_stealing_settings& settings) {
  auto set_count = [&](const char* key, const std::optional<std::size_t>& x) {
    if (x)
      cfg.set(key, *x);
  };
  auto set_duration = [&](const char* key,
                          const std::optional<std::chrono::microseconds>& x) {
    if (x)
      cfg.set(key, caf::timespan{*x});
  };
  set_count("work-stealing.aggressive-poll-attempts",
            settings.aggressive_poll_attempts);
  set_count("work-stealing.aggressive-steal-interval",
            settings.aggressive_steal_interval);
  set_count("work-stealing.moderate-poll-attempts",
            settings.moderate_poll_attempts);
  set_count("work-stealing.moderate-steal-interval",
            settings.moderate_steal_interval);
  set_duration("work-stealing.moderate-sleep-duration", settings.moderate_sleep);
  set_count("work-stealing.relaxed-steal-interval",
            settings.relaxed_steal_interval);
  set_duration("work-stealing.relaxed-sleep-duration", settings.relaxed_sleep);
}

void configure(caf::actor_system_config& cfg, const node_config& config) {
  add_error_category(cfg);
  if (config.deterministic) {
    cfg.set("scheduler.policy", caf::atom("testing"));
  } else {
    auto threads = config.scheduler_threads > 0
                     ? config.scheduler_threads
                     : std::max(1u, std::thread::hardware_concurrency());
    cfg.set("scheduler.max-threads", static_cast<std::size_t>(threads));
    cfg.set("scheduler.max-throughput", config.scheduler_max_throughput);
    cfg.set("scheduler.policy", caf::atom_from_string(config.scheduler_policy));
    configure_work_stealing(cfg, config.work_stealing);
  }
  cfg.set("logger.console", caf::atom("none"));
}

/// A request from outside the node's agents (its `from` is the kernel),
/// with its target resolved but not sent yet.
struct outside_request {
  route found;
  message msg;
};

outside_request make_outside_request(node_services& services,
                                     const std::string& target,
                                     std::string topic, std::string payload) {
  outside_request result{resolve(services, target), {}};
  auto& msg = result.msg;
  msg.from = {services.node_id(), kernel_pid};
  msg.topic = std::move(topic);
  msg.payload = std::move(payload);
  msg.kind = message_kind::request;
  msg.correlation_id = 1;
  msg.trace_id = services.new_trace_id();
  if (result.found.cell)
    msg.to = result.found.cell->global;
  else
    post_dead_letter(services, msg, target, result.found.reason);
  return result;
}

/// Returns the outcome of a sent outside request: a request that timed out
/// or whose receiver exited becomes a dead letter, and every error names
/// the request.
caf::expected<message> finish_outside_request(node_services& services,
                                              const message& msg,
                                              const std::string& target,
                                              std::chrono::milliseconds timeout,
                                              caf::expected<message> result) {
  if (result)
    return result;
  auto failed = to_failure(result.error());
  post_failed_request(services, msg, target, failed.code);
  failed.detail += " (request " + msg.topic + " to " + target + ", timeout "
                   + std::to_string(timeout.count()) + " ms)";
  return to_error(failed);
}

} // namespace

node::node(node_config config, backend_registry backends)
  : services_(std::make_shared<node_services>(std::move(config),
                                              std::move(backends))) {
  configure(config_, services_->config);
  system_ = std::make_unique<caf::actor_system>(config_);
  services_->kernel = system_->spawn<kernel_actor>(services_);
  log(spdlog::level::info, {services_->node_id(), kernel_pid, {}},
      "node started");
}

node::~node() {
  auto grace = std::chrono::milliseconds{
    std::min(services_->config.default_grace_ms, max_grace_ms)};
  if (services_->config.deterministic) {
    caf::anon_send(services_->kernel, shutdown_atom::value);
    run_pending();
    advance_time(grace + std::chrono::seconds{1});
  } else {
    caf::scoped_actor self{*system_};
    self->request(services_->kernel, grace + std::chrono::seconds{2},
                  shutdown_atom::value)
      .receive([]() {},
               [this](caf::error& error) {
                 log(spdlog::level::warn,
                     {services_->node_id(), kernel_pid, {}},
                     "agents did not all stop in time: " + describe(error));
               });
  }
  caf::anon_send_exit(services_->kernel, caf::exit_reason::user_shutdown);
  services_->kernel = nullptr;
  if (services_->config.deterministic)
    run_pending();
  system_.reset();
  log(spdlog::level::info, {services_->node_id(), kernel_pid, {}},
      "node stopped");
}

const std::string& node::id() const {
  return services_->node_id();
}

caf::actor_system& node::system() {
  return *system_;
}

const caf::actor& node::kernel() const {
  return services_->kernel;
}

node_services& node::services() {
  return *services_;
}

template <class T, class... Ts>
caf::expected<T> node::await(const caf::actor& dest,
                             std::chrono::milliseconds timeout, Ts&&... xs) {
  if (services_->config.deterministic)
    return await_deterministic<T>(dest, timeout, std::forward<Ts>(xs)...);
  caf::expected<T> result{make_error(errc::timeout, "no answer")};
  caf::scoped_actor self{*system_};
  if constexpr (std::is_same_v<T, caf::unit_t>) {
    // CAF delivers a unit result as an empty message.
    self->request(dest, timeout, std::forward<Ts>(xs)...)
      .receive([&]() { result = caf::unit; },
               [&](caf::error& error) { result = std::move(error); });
  } else {
    self->request(dest, timeout, std::forward<Ts>(xs)...)
      .receive([&](T& value) { result = std::move(value); },
               [&](caf::error& error) { result = std::move(error); });
  }
  return result;
}

// No scheduler thread runs in deterministic mode, so a blocking
// scoped_actor would wait forever: a helper actor sends the request and the
// test coordinator runs every message it causes.
template <class T, class... Ts>
caf::expected<T> node::await_deterministic(const caf::actor& dest,
                                           std::chrono::milliseconds timeout,
                                           Ts&&... xs) {
  auto out = std::make_shared<std::optional<caf::expected<T>>>();
  auto body = [out, dest, timeout](caf::event_based_actor* self,
                                  std::decay_t<Ts>... args) {
    auto on_error = [out](caf::error& error) { *out = std::move(error); };
    if constexpr (std::is_same_v<T, caf::unit_t>)
      self->request(dest, timeout, std::move(args)...)
        .then([out]() { *out = caf::unit; }, on_error);
    else
      self->request(dest, timeout, std::move(args)...)
        .then([out](T& value) { *out = std::move(value); }, on_error);
  };
  // At least one argument after `self`: CAF 0.17 dereferences a null
  // pointer when it spawns a function actor without arguments.
  system_->spawn(body, std::forward<Ts>(xs)...);
  run_pending();
  if (!out->has_value())
    return make_error(errc::timeout,
                      "no answer yet; in deterministic mode, timers fire only "
                      "when advance_time moves the clock");
  return std::move(**out);
}

template <class T, class... Ts>
caf::expected<T> node::ask(Ts&&... xs) {
  return await<T>(services_->kernel, kernel_timeout, std::forward<Ts>(xs)...);
}

// A helper actor sends the request and passes the outcome on, so no thread
// waits meanwhile. The helper ends once the response handler has run.
template <class T, class... Ts>
void node::await_async(const caf::actor& dest,
                       std::chrono::milliseconds timeout,
                       result_callback<T> done, Ts&&... xs) {
  auto body = [dest, timeout, done](caf::event_based_actor* self,
                                    std::decay_t<Ts>... args) {
    self->request(dest, timeout, std::move(args)...)
      .then([done](T& value) { done(std::move(value)); },
            [done](caf::error& error) { done(std::move(error)); });
  };
  // At least one argument after `self`: CAF 0.17 dereferences a null
  // pointer when it spawns a function actor without arguments.
  system_->spawn(body, std::forward<Ts>(xs)...);
}

void node::spawn(const spawn_request& request,
                 result_callback<spawn_result> done) {
  await_async<spawn_result>(services_->kernel, kernel_timeout, std::move(done),
                            spawn_atom::value, request);
}

void node::stop(const std::string& target, stop_options options,
                result_callback<exit_reason> done) {
  await_async<exit_reason>(services_->kernel, kernel_timeout, std::move(done),
                           stop_atom::value, target, options);
}

void node::restart(const std::string& target,
                   result_callback<spawn_result> done) {
  await_async<spawn_result>(services_->kernel, kernel_timeout, std::move(done),
                            restart_atom::value, target);
}

void node::request(const std::string& target, std::string topic,
                   std::string payload, std::chrono::milliseconds timeout,
                   result_callback<message> done) {
  auto prepared = make_outside_request(*services_, target, std::move(topic),
                                       std::move(payload));
  if (!prepared.found.cell) {
    done(prepared.found.error);
    return;
  }
  auto finish = [services = services_, msg = prepared.msg, target, timeout,
                 done](caf::expected<message> result) {
    done(finish_outside_request(*services, msg, target, timeout,
                                std::move(result)));
  };
  await_async<message>(prepared.found.cell->actor(), timeout, std::move(finish),
                       make_request_message(*prepared.found.cell,
                                            prepared.msg, timeout));
}

caf::expected<spawn_result> node::spawn(const spawn_request& request) {
  if (auto here = spawn_here(*system_, services_, request, nullptr, nullptr)) {
    // Runs the messages that the spawn caused, as the kernel's path does.
    if (services_->config.deterministic)
      run_pending();
    return std::move(*here);
  }
  return ask<spawn_result>(spawn_atom::value, request);
}

caf::expected<exit_reason> node::stop(const std::string& target,
                                      stop_options options) {
  return ask<exit_reason>(stop_atom::value, target, options);
}

caf::expected<exit_reason> node::stop(const std::string& target) {
  return stop(target, {false, services_->config.default_grace_ms});
}

caf::expected<spawn_result> node::restart(const std::string& target) {
  return ask<spawn_result>(restart_atom::value, target);
}

caf::error node::suspend(const std::string& target) {
  auto result = ask<caf::unit_t>(suspend_atom::value, target);
  return result ? caf::error{} : result.error();
}

caf::error node::resume(const std::string& target) {
  auto result = ask<caf::unit_t>(resume_atom::value, target);
  return result ? caf::error{} : result.error();
}

caf::expected<process_info> node::inspect(const std::string& target) {
  return ask<process_info>(inspect_atom::value, target);
}

caf::expected<std::vector<process_info>> node::list(bool include_exited) {
  return ask<std::vector<process_info>>(list_atom::value, include_exited);
}

caf::expected<message> node::request(const std::string& target,
                                     std::string topic, std::string payload,
                                     std::chrono::milliseconds timeout) {
  auto prepared = make_outside_request(*services_, target, std::move(topic),
                                       std::move(payload));
  if (!prepared.found.cell)
    return prepared.found.error;
  auto result = await<message>(prepared.found.cell->actor(), timeout,
                               make_request_message(*prepared.found.cell,
                                                    prepared.msg, timeout));
  return finish_outside_request(*services_, prepared.msg, target, timeout,
                                std::move(result));
}

caf::error node::send(const std::string& target, std::string topic,
                      std::string payload) {
  auto found = resolve(*services_, target);
  message msg;
  msg.from = {services_->node_id(), kernel_pid};
  msg.topic = std::move(topic);
  msg.payload = std::move(payload);
  msg.trace_id = services_->new_trace_id();
  if (!found.cell) {
    post_dead_letter(*services_, msg, target, found.reason);
    return found.error;
  }
  msg.to = found.cell->global;
  caf::anon_send(found.cell->actor(), std::move(msg));
  return {};
}

caf::error node::publish(const std::string& topic, std::string payload) {
  auto trace_id = services_->new_trace_id();
  for (auto& subscriber : services_->agents.subscribers(topic)) {
    message msg;
    msg.from = {services_->node_id(), kernel_pid};
    msg.to = subscriber->global;
    msg.topic = topic;
    msg.payload = payload;
    msg.trace_id = trace_id;
    caf::anon_send(subscriber->actor(), std::move(msg));
  }
  // Subscribers on other nodes of the cluster get it through their node.
  if (auto remote = services_->remote()) {
    message msg;
    msg.from = {services_->node_id(), kernel_pid};
    msg.topic = topic;
    msg.payload = std::move(payload);
    msg.trace_id = trace_id;
    remote->publish(msg);
  }
  return {};
}

void node::watch(const caf::actor& watcher) {
  // Through the spawn inbox, so that the watcher gets the changes of every
  // agent spawned after this call, whichever thread spawns it.
  if (services_->spawns.push_watcher(watcher))
    caf::anon_send(services_->kernel, drain_atom::value);
}

void node::unwatch(const caf::actor& watcher) {
  // In order with spawns, like `watch`: no change of a later spawn follows.
  if (services_->spawns.push_watcher(watcher, true))
    caf::anon_send(services_->kernel, drain_atom::value);
}

std::vector<dead_letter> node::dead_letters() const {
  return services_->dead_letters.snapshot();
}

node_stats node::stats() const {
  node_stats result;
  result.node_id = services_->node_id();
  result.live_agents = services_->agents.size();
  result.spawned = services_->next_pid.load() - 1;
  result.dead_letters = services_->dead_letters.total();
  result.dead_letters_dropped = services_->dead_letters.dropped();
  result.uptime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - services_->started)
                       .count();
  return result;
}

caf::scheduler::test_coordinator* node::coordinator() {
  if (!services_->config.deterministic)
    return nullptr;
  return &dynamic_cast<caf::scheduler::test_coordinator&>(system_->scheduler());
}

std::size_t node::run_pending() {
  auto test = coordinator();
  return test == nullptr ? 0 : test->run();
}

std::size_t node::advance_time(std::chrono::milliseconds duration) {
  auto test = coordinator();
  if (test == nullptr)
    return 0;
  auto fired = test->advance_time(duration);
  return fired + test->run();
}

} // namespace corral
