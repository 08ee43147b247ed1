// The host calls that a Tee agent's workload makes through the proxy. The
// proxy carries out each op frame with the agent's context and returns the
// ABI's return code, as the Wasm backend does for its guests.
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

  // The reply or failure comes back later as a message with the
  // correlation id returned here.
  return wasm::start_guest_request(
    ctx_, next_correlation_++, op.target, op.topic, op.payload,
    op.timeout_ms, [this](message msg) { queue_message(std::move(msg)); });
}

} // namespace corral::tee
