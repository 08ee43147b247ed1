// The guest_env side of the WASM hosting actor: what the guest's imports
// ask of the agent (messaging, identity, logging), mapped onto its
// agent_context and the ABI's return codes.
#include "backends/wasm/wasm_agent.hpp"

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "serialization/utf8.hpp"

namespace corral::wasm {

std::int32_t abi_code_of(const caf::error& error) {
  if (!error)
    return abi_ok;
  switch (to_failure(error).code) {
    case errc::process_not_found:
      return abi_unknown_target;
    case errc::capability_denied:
      return abi_denied;
    case errc::invalid_request:
      return abi_invalid;
    default:
      return abi_undeliverable;
  }
}

const message* wasm_agent::current_message() const {
  return current_ ? &current_->msg : nullptr;
}

std::int32_t wasm_agent::reply(std::string payload) {
  if (!current_ || current_->msg.kind != message_kind::request || reply_)
    return abi_no_request;
  reply_ = std::move(payload);
  return abi_ok;
}

std::int32_t wasm_agent::send(const std::string& target, std::string topic,
                              std::string payload) {
  return abi_code_of(ctx_.send(target, std::move(topic), std::move(payload)));
}

std::int64_t wasm_agent::request(const std::string& target, std::string topic,
                                 std::string payload,
                                 std::uint32_t timeout_ms) {
  return start_guest_request(
    ctx_, next_correlation_++, target, std::move(topic), std::move(payload),
    timeout_ms, [this](message msg) { queue_message(std::move(msg)); });
}

std::int32_t wasm_agent::publish(std::string topic, std::string payload) {
  return abi_code_of(ctx_.publish(topic, std::move(payload)));
}

std::int32_t wasm_agent::broadcast(std::string topic, std::string payload) {
  return abi_code_of(ctx_.broadcast(topic, std::move(payload)));
}

std::int32_t wasm_agent::subscribe(const std::string& topic, bool on) {
  if (on)
    ctx_.subscribe(topic);
  else
    ctx_.unsubscribe(topic);
  return abi_ok;
}

// The guest is not trusted: a newline in its text would start a forged
// line of the node's log. The `log` import already cut the text.
void wasm_agent::log(spdlog::level::level_enum level, std::string_view text) {
  ctx_.log(level, printable(std::string{text}));
}

pid_type wasm_agent::self_pid() const {
  return ctx_.pid();
}

const std::string& wasm_agent::self_id() const {
  return ctx_.agent_id();
}

const std::map<std::string, std::string>& wasm_agent::environment() const {
  return ctx_.env();
}

} // namespace corral::wasm
