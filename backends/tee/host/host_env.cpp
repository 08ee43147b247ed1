#include "backends/tee/host/host_env.hpp"

#include <cstdlib>
#include <utility>

namespace corral::tee {

host_env::host_env(host_channel& channel, const start_frame& start)
  : channel_(channel),
    pid_(start.pid),
    agent_id_(start.agent_id),
    env_(start.env) {
}

void host_env::begin(message msg) {
  current_ = std::move(msg);
  reply_.reset();
}

std::optional<std::string> host_env::finish() {
  current_.reset();
  return std::exchange(reply_, std::nullopt);
}

const message* host_env::current_message() const {
  return current_ ? &*current_ : nullptr;
}

std::int32_t host_env::reply(std::string payload) {
  if (!current_ || current_->kind != message_kind::request || reply_)
    return wasm::abi_no_request;
  reply_ = std::move(payload);
  return wasm::abi_ok;
}

std::int64_t host_env::call(op_kind kind, const std::string& target,
                            std::string topic, std::string payload,
                            std::uint32_t timeout_ms) {
  if (!running_)
    return wasm::abi_not_ready;
  op_frame op{static_cast<std::uint8_t>(kind), target, std::move(topic),
              std::move(payload), timeout_ms};
  // A topic and payload that do not fit in one frame are refused like a
  // payload over the ABI's limit; the guest goes on.
  auto sent = channel_.send(op);
  if (sent == send_status::too_large)
    return wasm::abi_too_large;
  if (sent != send_status::sent)
    std::_Exit(0);
  // The proxy returns every op's result before it sends anything else.
  auto answer = channel_.receive();
  if (auto* result = std::get_if<op_result_frame>(&answer))
    return result->code;
  std::_Exit(3);
}

std::int32_t host_env::send(const std::string& target, std::string topic,
                            std::string payload) {
  return static_cast<std::int32_t>(
    call(op_kind::send, target, std::move(topic), std::move(payload)));
}

std::int64_t host_env::request(const std::string& target, std::string topic,
                               std::string payload,
                               std::uint32_t timeout_ms) {
  return call(op_kind::request, target, std::move(topic), std::move(payload),
              timeout_ms);
}

std::int32_t host_env::publish(std::string topic, std::string payload) {
  return static_cast<std::int32_t>(
    call(op_kind::publish, {}, std::move(topic), std::move(payload)));
}

std::int32_t host_env::broadcast(std::string topic, std::string payload) {
  return static_cast<std::int32_t>(
    call(op_kind::broadcast, {}, std::move(topic), std::move(payload)));
}

std::int32_t host_env::subscribe(const std::string& topic, bool on) {
  return static_cast<std::int32_t>(
    call(on ? op_kind::subscribe : op_kind::unsubscribe, {}, topic, {}));
}

void host_env::log(spdlog::level::level_enum level, std::string_view text) {
  channel_.send(log_frame{static_cast<std::uint8_t>(level),
                          std::string(text)});
}

pid_type host_env::self_pid() const {
  return pid_;
}

const std::string& host_env::self_id() const {
  return agent_id_;
}

const std::map<std::string, std::string>& host_env::environment() const {
  return env_;
}

} // namespace corral::tee
