#include "backends/native/agent_host.hpp"

#include <chrono>

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/limit_check.hpp"

namespace corral {

namespace {

caf::error crash_reason(std::exception_ptr& eptr) {
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(eptr);
  } catch (const std::exception& x) {
    what = x.what();
  } catch (...) {
    // what keeps its default text
  }
  return to_exit_error({exit_kind::crashed, what});
}

} // namespace

agent_host::agent_host(caf::actor_config& cfg,
                       std::shared_ptr<const agent_registry::factory> make,
                       std::shared_ptr<agent_cell> cell,
                       std::shared_ptr<node_services> services,
                       std::map<std::string, std::string> env)
  : hosting_actor(cfg, *services),
    factory_(std::move(make)),
    ctx_(this, std::move(cell), std::move(services), std::move(env)) {
}

caf::behavior agent_host::make_behavior() {
  set_exception_handler(
    [](caf::scheduled_actor*, std::exception_ptr& eptr) -> caf::error {
      return crash_reason(eptr);
    });
  ctx_.ignore_stray_errors();
  // Control messages go through the default handler, so that the behavior
  // of every idle agent has one case rather than ten (an estimated 40
  // bytes each in CAF 0.17).
  set_default_handler(
    [this](caf::scheduled_actor*, caf::message_view& x) {
      return on_control(x);
    });
  if (ctx_.cell().cancelled.load()) {
    // A spawn outside the kernel gave this agent up before it first ran.
    quit(caf::exit_reason::user_shutdown);
    return {};
  }
  try {
    auto factory = std::move(factory_);
    impl_ = (*factory)();
    if (!impl_) {
      quit(to_exit_error({exit_kind::crashed,
                          "the registered factory of agent "
                            + ctx_.cell().agent_id + " returned no agent"}));
      return {};
    }
    impl_->on_start(ctx_);
  } catch (...) {
    auto eptr = std::current_exception();
    quit(crash_reason(eptr));
    return {};
  }
  return running();
}

// CAF calls this after the last handler. The agent's cell stores a strong
// handle to this actor, so keeping the cell would leak both.
void agent_host::on_exit() {
  impl_.reset();
  ctx_.release_cell();
}

caf::behavior agent_host::running() {
  return {
    [this](message& msg) { return deliver(msg); },
  };
}

// A suspended agent holds its messages (CAF keeps skipped messages and
// delivers them after the next behavior change), except a message with
// topic "resume", which asks the kernel to resume the agent.
caf::behavior agent_host::suspended() {
  return {
    [this](message& msg) -> caf::result<message> {
      if (msg.topic != "resume")
        return caf::skip;
      ctx_.resume_self();
      if (msg.kind == message_kind::request)
        return make_reply(msg, "resuming");
      return caf::delegated<message>{};
    },
  };
}

caf::result<caf::message> agent_host::on_control(caf::message_view& x) {
  const auto& content = x.content();
  if (content.match_elements<suspend_atom>()) {
    if (!suspended_) {
      suspended_ = true;
      become(suspended());
    }
  } else if (content.match_elements<resume_atom>()) {
    if (suspended_) {
      suspended_ = false;
      become(running());
    }
  } else if (content.match_elements<shutdown_atom>()) {
    on_shutdown();
  } else if (content.match_elements<deadline_atom>()) {
    ctx_.expire_requests();
  } else if (content.match_elements<spawned_atom>()) {
    ctx_.run_spawn_callbacks();
  } else if (content.match_elements<launch_atom>()) {
    // The first message of an agent spawned outside the kernel.
  } else if (content.match_elements<down_notice>()) {
    impl_->on_down(ctx_, content.get_as<down_notice>(0));
  } else if (content.match_elements<exit_signal>()) {
    on_exit_signal(content.get_as<exit_signal>(0));
  } else if (!suspended_ && content.match_elements<resource_warning>()) {
    impl_->on_resource_warning(ctx_, content.get_as<resource_warning>(0));
  } else if (suspended_) {
    return caf::skip;
  } else {
    // Messages that match nothing (for example a stray reply) are dropped
    // rather than crashing the agent.
    return caf::drop(this, x);
  }
  return caf::message{};
}

caf::result<message> agent_host::deliver(message& msg) {
  auto& cell = ctx_.cell();
  cell.messages_in.fetch_add(1, std::memory_order_relaxed);
  ctx_.begin_message(&msg);
  auto started = std::chrono::steady_clock::now();
  auto payload = impl_->on_message(ctx_, msg);
  auto elapsed = std::chrono::steady_clock::now() - started;
  auto handler_ns = static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
  cell.cpu_ns.fetch_add(handler_ns, std::memory_order_relaxed);
  auto deferred = ctx_.reply_deferred();
  auto error = ctx_.take_reply_error();
  ctx_.begin_message(nullptr);
  check_limits(handler_ns);

  if (msg.kind != message_kind::request || deferred)
    return caf::delegated<message>{};
  if (error)
    return error;
  if (!payload)
    return make_error(errc::invalid_request,
                      "agent " + ctx_.agent_id() + " (pid "
                        + std::to_string(ctx_.pid())
                        + ") sent no reply to a request with topic "
                        + msg.topic);
  return send_reply(msg, std::move(*payload));
}

message agent_host::make_reply(const message& request,
                               std::string payload) const {
  ctx_.cell().messages_out.fetch_add(1, std::memory_order_relaxed);
  return corral::make_reply(request, ctx_.global(), std::move(payload));
}

// Builds the reply from the request's own strings, which the request no
// longer needs, and puts it into the requester's mailbox. Returning it to
// CAF instead would wrap it in a caf::message and then in a mailbox
// element, two allocations. A request that CAF forwards along stages, or
// that came without a request id, still gets its reply through CAF.
caf::result<message> agent_host::send_reply(message& request,
                                            std::string payload) {
  ctx_.cell().messages_out.fetch_add(1, std::memory_order_relaxed);
  auto reply = corral::make_reply(std::move(request), ctx_.global(),
                                  std::move(payload));
  auto* element = current_mailbox_element();
  if (element == nullptr || !element->mid.is_request()
      || element->mid.is_answered() || !element->stages.empty()
      || !element->sender)
    return reply;
  auto& requester = element->sender;
  auto id = take_current_message_id();
  requester->enqueue(caf::make_mailbox_element(caf::strong_actor_ptr{ctrl()},
                                               id.response_id(), {},
                                               std::move(reply)),
                     context());
  return caf::delegated<message>{};
}

void agent_host::on_shutdown() {
  if (impl_->on_shutdown(ctx_))
    quit(to_exit_error({exit_kind::shutdown, {}}));
}

void agent_host::on_exit_signal(const exit_signal& signal) {
  if (ctx_.traps_exits()) {
    impl_->on_exit_signal(ctx_, signal);
    return;
  }
  ctx_.log_linked_exit(signal);
  quit(to_exit_error(signal.reason));
}

void agent_host::check_limits(std::uint64_t handler_ns) {
  auto& cell = ctx_.cell();
  const auto& limits = cell.limits;
  if (limits.message_timeout_ms
      && handler_ns / 1'000'000 > *limits.message_timeout_ms) {
    quit(to_exit_error({exit_kind::limit_exceeded, "time"}));
    return;
  }
  cell.memory_bytes.store(sizeof(*this) + impl_->memory_estimate(),
                          std::memory_order_relaxed);
  if (check_limit("cpu", cell.cpu_ns.load() / 1'000'000, limits.cpu_ms,
                  warned_cpu_))
    return;
  if (check_limit("memory", cell.memory_bytes.load(), limits.memory_bytes,
                  warned_memory_))
    return;
  check_limit("messages", cell.messages_in.load(), limits.max_messages,
              warned_messages_);
}

// At 80% of a limit the agent and its supervisor get one resource_warning;
// at 100% the agent exits with limit_exceeded{resource}.
bool agent_host::check_limit(const char* resource, std::uint64_t used,
                             const std::optional<std::uint64_t>& limit,
                             bool& warned) {
  switch (corral::check_limit(used, limit, warned)) {
    case limit_verdict::exceeded:
      quit(to_exit_error({exit_kind::limit_exceeded, resource}));
      return true;
    case limit_verdict::warning: {
      resource_warning warning{ctx_.pid(), ctx_.agent_id(), resource, used,
                               *limit};
      impl_->on_resource_warning(ctx_, warning);
      ctx_.warn_supervisor(warning);
      return false;
    }
    case limit_verdict::within:
      break;
  }
  return false;
}

} // namespace corral
