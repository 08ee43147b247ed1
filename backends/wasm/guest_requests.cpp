#include "backends/wasm/guest_requests.hpp"

#include <memory>

#include "actors/error.hpp"
#include "actors/router.hpp"
#include "backends/wasm/wasm_agent.hpp"

namespace corral::wasm {

void deliver_handler_result(agent_context& ctx, pending_message& done,
                            std::int32_t value,
                            std::optional<std::string> reply) {
  if (!done.promise.pending())
    return;
  auto agent = "agent " + ctx.agent_id() + " (pid "
               + std::to_string(ctx.pid()) + ")";
  if (value != 0) {
    done.promise.deliver(make_error(
      errc::invalid_request,
      agent + " failed the request with topic " + done.msg.topic
        + ": its handler returned " + std::to_string(value)));
    return;
  }
  if (!reply) {
    done.promise.deliver(
      make_error(errc::invalid_request, agent
                                          + " sent no reply to a request "
                                            "with topic "
                                          + done.msg.topic));
    return;
  }
  ctx.cell().messages_out.fetch_add(1, std::memory_order_relaxed);
  done.promise.deliver(make_reply(done.msg, ctx.global(), std::move(*reply)));
}

void fail_pending(agent_context& ctx,
                  std::optional<pending_message>& current,
                  std::deque<pending_message>& queue,
                  const std::string& reason) {
  auto fail = [&](pending_message& entry) {
    if (entry.promise.pending())
      entry.promise.deliver(make_error(
        errc::agent_exited,
        "agent " + ctx.agent_id() + " (pid " + std::to_string(ctx.pid())
          + ") did not answer the request with topic " + entry.msg.topic
          + " because " + reason));
  };
  if (current)
    fail(*current);
  for (auto& entry : queue) {
    if (entry.from_mailbox && entry.msg.kind == message_kind::cast)
      post_unhandled_cast(ctx.services(), std::move(entry.msg));
    else
      fail(entry);
  }
  current.reset();
  queue.clear();
}

std::int64_t start_guest_request(agent_context& ctx, std::uint64_t id,
                                 const std::string& target, std::string topic,
                                 std::string payload,
                                 std::uint32_t timeout_ms,
                                 std::function<void(message)> queue) {
  // An error found at once runs the error handler before `request`
  // returns; it becomes the return code instead of a failure message.
  struct start_state {
    bool started = false;
    caf::error immediate;
  };
  auto state = std::make_shared<start_state>();
  auto self_global = ctx.global();
  ctx.request(
    target, std::move(topic), std::move(payload),
    std::chrono::milliseconds{timeout_ms},
    [queue, id](message& answer) {
      answer.correlation_id = id;
      answer.kind = message_kind::reply;
      queue(std::move(answer));
    },
    [queue, id, self_global, state](const caf::error& error) {
      if (!state->started) {
        state->immediate = error;
        return;
      }
      message failed;
      failed.from = self_global;
      failed.to = self_global;
      failed.topic = to_string(to_failure(error).code);
      failed.payload = describe(error);
      failed.correlation_id = id;
      failed.kind = message_kind::failure;
      queue(std::move(failed));
    });
  state->started = true;
  if (state->immediate)
    return abi_code_of(state->immediate);
  return static_cast<std::int64_t>(id);
}

} // namespace corral::wasm
