#include "backends/wasm/wasm_agent.hpp"

#include <nlohmann/json.hpp>

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/limit_check.hpp"
#include "actors/router.hpp"

namespace corral::wasm {

namespace {

std::int32_t kind_code(message_kind kind) {
  switch (kind) {
    case message_kind::cast:
      return 0;
    case message_kind::request:
      return 1;
    case message_kind::reply:
      return 2;
    case message_kind::failure:
      return 3;
  }
  return 0;
}

std::string warning_json(const resource_warning& warning) {
  return nlohmann::json{{"pid", warning.pid},
                        {"agent_id", warning.agent_id},
                        {"resource", warning.resource},
                        {"used", warning.used},
                        {"limit", warning.limit}}
    .dump();
}

} // namespace

wasm_agent::wasm_agent(caf::actor_config& cfg,
                       std::unique_ptr<wasm_instance> instance,
                       std::shared_ptr<agent_cell> cell,
                       std::shared_ptr<node_services> services,
                       std::map<std::string, std::string> env,
                       run_budget budget)
  : hosting_actor(cfg, *services),
    instance_(std::move(instance)),
    ctx_(this, std::move(cell), std::move(services), std::move(env)),
    budget_(budget) {
  instance_->set_env(*this);
  ctx_.cell().memory_bytes.store(instance_->memory_bytes());
}

caf::behavior wasm_agent::make_behavior() {
  set_exception_handler(
    [this](caf::scheduled_actor*, std::exception_ptr& eptr) -> caf::error {
      std::string detail = "unknown exception";
      try {
        std::rethrow_exception(eptr);
      } catch (const std::exception& x) {
        detail = x.what();
      } catch (...) {
        // A non-standard exception keeps the default text.
      }
      fail_pending(ctx_, current_, queue_, "it crashed: " + detail);
      return to_exit_error({exit_kind::crashed, "host: " + detail});
    });
  set_default_handler(caf::drop);
  ctx_.ignore_stray_errors();
  return {
    [this](message& msg) { return accept(msg); },
    [this](slice_atom) { on_slice(); },
    [this](suspend_atom) { suspended_ = true; },
    [this](resume_atom) {
      suspended_ = false;
      schedule();
    },
    [this](shutdown_atom) {
      end_agent({exit_kind::shutdown, {}});
    },
    [this](deadline_atom) { ctx_.expire_requests(); },
    [this](const down_notice& notice) {
      auto msg = ctx_.down_message(notice);
      signal_guest(msg.topic, std::move(msg.payload));
    },
    [this](const exit_signal& signal) {
      ctx_.log_linked_exit(signal);
      end_agent(signal.reason);
    },
    [this](const resource_warning& warning) {
      signal_guest("$resource_warning",
                   warning_json(warning));
    },
  };
}

void wasm_agent::on_exit() {
  if (instance_)
    instance_->host().flush_output();
  instance_.reset();
  // A kill skips end_agent, so the requests still queued fail here instead
  // of waiting for their timeouts.
  fail_pending(ctx_, current_, queue_, "it was killed");
  ctx_.release_cell();
}

caf::result<message> wasm_agent::accept(message& msg) {
  ctx_.cell().messages_in.fetch_add(1, std::memory_order_relaxed);
  if (suspended_ && msg.topic == "resume") {
    ctx_.resume_self();
    if (msg.kind != message_kind::request)
      return caf::delegated<message>{};
    message answer;
    answer.from = ctx_.global();
    answer.to = msg.from;
    answer.topic = msg.topic;
    answer.payload = "resuming";
    answer.correlation_id = msg.correlation_id;
    answer.kind = message_kind::reply;
    return answer;
  }
  if (queue_.size() >= budget_.mailbox) {
    post_dead_letter(ctx_.services(), msg, std::to_string(ctx_.pid()),
                     dead_letter_reason::mailbox_full);
    return make_error(errc::mailbox_full,
                      "agent " + ctx_.agent_id() + " (pid "
                        + std::to_string(ctx_.pid()) + ") has "
                        + std::to_string(queue_.size())
                        + " messages waiting, its mailbox limit; retry later "
                          "or raise limits.mailbox_size");
  }
  pending_message entry{std::move(msg), {}, true};
  if (entry.msg.kind == message_kind::request)
    entry.promise = make_response_promise<message>();
  queue_.push_back(std::move(entry));
  if (!current_ && !suspended_ && !slice_scheduled_) {
    // Start at once: most handlers finish within their first slice, and
    // going through the mailbox would add a round of scheduling.
    begin_next();
  }
  return caf::delegated<message>{};
}

void wasm_agent::queue_message(message msg) {
  if (ended_)
    return;
  if (queue_.size() >= budget_.mailbox) {
    post_dead_letter(ctx_.services(), msg, std::to_string(ctx_.pid()),
                     dead_letter_reason::mailbox_full);
    return;
  }
  queue_.push_back({std::move(msg), {}});
  schedule();
}

void wasm_agent::signal_guest(const std::string& topic, std::string payload) {
  message msg;
  msg.from = ctx_.global();
  msg.to = ctx_.global();
  msg.topic = topic;
  msg.payload = std::move(payload);
  queue_message(std::move(msg));
}

void wasm_agent::schedule() {
  if (ended_ || suspended_ || slice_scheduled_)
    return;
  if (!current_ && queue_.empty())
    return;
  slice_scheduled_ = true;
  caf::event_based_actor::send(this, slice_atom::value);
}

void wasm_agent::on_slice() {
  slice_scheduled_ = false;
  if (ended_ || suspended_)
    return;
  if (current_)
    run_slice();
  else
    begin_next();
}

void wasm_agent::begin_next() {
  if (ended_ || suspended_ || current_ || queue_.empty())
    return;
  current_ = std::move(queue_.front());
  queue_.pop_front();
  reply_.reset();
  message_fuel_ = 0;
  message_started_ = std::chrono::steady_clock::now();
  ctx_.begin_message(&current_->msg);
  const auto& msg = current_->msg;
  run_result failure;
  if (!instance_->begin_message(
        kind_code(msg.kind), static_cast<std::uint32_t>(msg.topic.size()),
        static_cast<std::uint32_t>(msg.payload.size()), failure)) {
    end_agent({exit_kind::crashed, "trap: " + failure.detail});
    return;
  }
  run_slice();
}

void wasm_agent::run_slice() {
  auto& cell = ctx_.cell();
  auto result = run_guest(slice_budget());
  switch (result.status) {
    case run_status::returned:
      finish(result.value);
      return;
    case run_status::trapped:
      end_agent({exit_kind::crashed, "trap: " + result.detail});
      return;
    case run_status::exited: {
      auto code = *instance_->host().exit_code;
      if (code == 0)
        end_agent({exit_kind::normal, {}});
      else
        end_agent({exit_kind::crashed, "exit code " + std::to_string(code)});
      return;
    }
    case run_status::memory_exceeded:
      end_agent({exit_kind::limit_exceeded, "memory"});
      return;
    case run_status::paused:
      break;
  }

  // The slice ran out of instructions: the call goes on in the next slice
  // unless a budget is spent.
  if (message_fuel_ >= budget_.fuel_per_message
      || (budget_.fuel_total != 0 && cell.fuel.load() >= budget_.fuel_total)) {
    end_agent({exit_kind::limit_exceeded, "fuel"});
    return;
  }
  if (std::chrono::steady_clock::now() - message_started_
      > budget_.message_timeout) {
    end_agent({exit_kind::limit_exceeded, "time"});
    return;
  }
  if (check_limits())
    return;
  schedule();
}

std::uint64_t wasm_agent::slice_budget() const {
  std::uint64_t budget = budget_.slice;
  budget = std::min(budget, budget_.fuel_per_message
                              - std::min(budget_.fuel_per_message,
                                         message_fuel_));
  if (budget_.fuel_total != 0) {
    auto used = ctx_.cell().fuel.load(std::memory_order_relaxed);
    budget = std::min(budget,
                      budget_.fuel_total - std::min(budget_.fuel_total, used));
  }
  return budget;
}

run_result wasm_agent::run_guest(std::uint64_t budget) {
  auto& cell = ctx_.cell();
  auto started = std::chrono::steady_clock::now();
  auto result = budget > 0 ? instance_->run(budget) : run_result{};
  auto elapsed = std::chrono::steady_clock::now() - started;

  cell.cpu_ns.fetch_add(
    static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()),
    std::memory_order_relaxed);
  cell.fuel.fetch_add(result.instructions, std::memory_order_relaxed);
  cell.memory_bytes.store(instance_->memory_bytes(),
                          std::memory_order_relaxed);
  message_fuel_ += result.instructions;
  return result;
}

void wasm_agent::finish(std::int32_t value) {
  auto done = std::move(*current_);
  current_.reset();
  ctx_.begin_message(nullptr);
  deliver_handler_result(ctx_, done, value, std::move(reply_));
  reply_.reset();
  if (check_limits())
    return;
  schedule();
}

void wasm_agent::end_agent(exit_reason reason) {
  if (ended_)
    return;
  ended_ = true;
  fail_pending(ctx_, current_, queue_, "it exited: " + to_string(reason));
  instance_->host().flush_output();
  quit(to_exit_error(reason));
}

bool wasm_agent::check_limits() {
  auto& cell = ctx_.cell();
  const auto& limits = cell.limits;
  if (check_limit("fuel", cell.fuel.load(), limits.fuel, warned_fuel_))
    return true;
  // An agent may fill its memory limit. The instance ends one that grows
  // past it (run_status::memory_exceeded), so here memory only warns.
  auto memory = cell.memory_bytes.load();
  const auto& memory_limit = limits.memory_bytes;
  if (memory_limit && *memory_limit > 0 && memory >= *memory_limit) {
    if (!warned_memory_) {
      warned_memory_ = true;
      warn("memory", memory, *memory_limit);
    }
  } else {
    check_limit("memory", memory, memory_limit, warned_memory_);
  }
  return check_limit("messages", cell.messages_in.load(),
                     limits.max_messages, warned_messages_);
}

bool wasm_agent::check_limit(const char* resource, std::uint64_t used,
                             const std::optional<std::uint64_t>& limit,
                             bool& warned) {
  switch (corral::check_limit(used, limit, warned)) {
    case limit_verdict::exceeded:
      end_agent({exit_kind::limit_exceeded, resource});
      return true;
    case limit_verdict::warning:
      warn(resource, used, *limit);
      return false;
    case limit_verdict::within:
      break;
  }
  return false;
}

void wasm_agent::warn(const char* resource, std::uint64_t used,
                      std::uint64_t limit) {
  resource_warning warning{ctx_.pid(), ctx_.agent_id(), resource, used,
                           limit};
  ctx_.warn_supervisor(warning);
  signal_guest("$resource_warning", warning_json(warning));
}

} // namespace corral::wasm
