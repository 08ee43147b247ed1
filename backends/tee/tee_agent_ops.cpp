// The host calls a Tee agent's workload makes through the proxy: each op
// frame is carried out with the agent's context and answered with the
// ABI's return code, as the Wasm backend answers its guests.
#include "backends/tee/tee_agent.hpp"

#include <caf/all.hpp>

#include "actors/error.hpp"

namespace corral::tee {

void tee_agent::on_op(const op_frame& op) {
  auto code = perform(op);
  if (!ended_)
    send_to_host(op_result_frame{code});
}

std::int64_t tee_agent::perform(const op_frame& op) {
  switch (static_cast<op_kind>(op.kind)) {
    case op_kind::send:
      return wasm::abi_code_of(ctx_.send(op.target, op.topic, op.payload));
    case op_kind::publish:
      return wasm::abi_code_of(ctx_.publish(op.topic, op.payload));
    case op_kind::broadcast:
      return wasm::abi_code_of(ctx_.broadcast(op.topic, op.payload));
    case op_kind::subscribe:
      ctx_.subscribe(op.topic);
      return wasm::abi_ok;
    case op_kind::unsubscribe:
      ctx_.unsubscribe(op.topic);
      return wasm::abi_ok;
    case op_kind::request:
      break;
    default:
      return wasm::abi_invalid;
  }

  // A request: the reply or failure comes back later as a message with
  // this correlation id; an error found at once is the return code.
  auto id = next_correlation_++;
  caf::error immediate;
  immediate_error_ = &immediate;
  auto self_global = ctx_.global();
  ctx_.request(
    op.target, op.topic, op.payload, std::chrono::milliseconds{op.timeout_ms},
    [this, id](message& answer) {
      answer.correlation_id = id;
      answer.kind = message_kind::reply;
      queue_message(std::move(answer));
    },
    [this, id, self_global](const caf::error& error) {
      if (immediate_error_ != nullptr) {
        *immediate_error_ = error;
        return;
      }
      message failed;
      failed.from = self_global;
      failed.to = self_global;
      failed.topic = to_string(to_failure(error).code);
      failed.payload = describe(error);
      failed.correlation_id = id;
      failed.kind = message_kind::failure;
      queue_message(std::move(failed));
    });
  immediate_error_ = nullptr;
  if (immediate)
    return wasm::abi_code_of(immediate);
  return static_cast<std::int64_t>(id);
}

} // namespace corral::tee
