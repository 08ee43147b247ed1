// The `corral` import module: messaging, logging, identity and time for
// WASM agents (docs/wasm-abi.md).
#include <chrono>

#include "backends/wasm/host_functions.hpp"

namespace corral::wasm {

namespace {

using wabt::Result;

// Reads a text argument: in range, UTF-8, and not empty when `required`.
// Returns false after trapping (bad range) or with `code` set (bad text).
bool read_text(host_call& call, std::size_t index, const char* what,
               std::string& out, std::int32_t& code, bool required = true) {
  if (!call.read(call.u32(index), call.u32(index + 1), what, out))
    return false;
  if (!valid_utf8(out) || (required && out.empty()))
    code = abi_invalid;
  return true;
}

bool read_payload(host_call& call, std::size_t index, std::string& out,
                  std::int32_t& code) {
  auto len = call.u32(index + 1);
  if (!call.check(call.u32(index), len, "payload"))
    return false;
  if (len > max_guest_payload) {
    code = abi_too_large;
    return true;
  }
  out.assign(call.view(call.u32(index), len));
  return true;
}

Result copy_text(host_call& call, std::string_view text) {
  if (!call.copy_out(call.u32(0), call.u32(1), text))
    return Result::Error;
  return call.ret(static_cast<std::int32_t>(text.size()));
}

Result message_topic(host_call& call) {
  auto* msg = call.ctx.env->current_message();
  return copy_text(call, msg ? std::string_view{msg->topic} : "");
}

Result message_payload(host_call& call) {
  auto* msg = call.ctx.env->current_message();
  return copy_text(call, msg ? std::string_view{msg->payload} : "");
}

Result message_sender(host_call& call) {
  auto* msg = call.ctx.env->current_message();
  return copy_text(call, msg ? to_string(msg->from) : std::string{});
}

Result message_correlation(host_call& call) {
  auto* msg = call.ctx.env->current_message();
  return call.ret64(msg ? static_cast<std::int64_t>(msg->correlation_id) : 0);
}

Result reply(host_call& call) {
  std::string payload;
  std::int32_t code = abi_ok;
  if (!read_payload(call, 0, payload, code))
    return Result::Error;
  if (code != abi_ok)
    return call.ret(code);
  return call.ret(call.ctx.env->reply(std::move(payload)));
}

Result send(host_call& call) {
  std::string target, topic, payload;
  std::int32_t code = abi_ok;
  if (!read_text(call, 0, "target", target, code)
      || !read_text(call, 2, "topic", topic, code)
      || !read_payload(call, 4, payload, code))
    return Result::Error;
  if (code != abi_ok)
    return call.ret(code);
  return call.ret(
    call.ctx.env->send(target, std::move(topic), std::move(payload)));
}

Result request(host_call& call) {
  std::string target, topic, payload;
  std::int32_t code = abi_ok;
  if (!read_text(call, 0, "target", target, code)
      || !read_text(call, 2, "topic", topic, code)
      || !read_payload(call, 4, payload, code))
    return Result::Error;
  auto timeout = static_cast<std::int32_t>(call.u32(6));
  if (timeout <= 0 && code == abi_ok)
    code = abi_invalid;
  if (code != abi_ok)
    return call.ret64(code);
  return call.ret64(call.ctx.env->request(target, std::move(topic),
                                          std::move(payload),
                                          static_cast<std::uint32_t>(timeout)));
}

// Reads (topic, payload) and hands them to `deliver`, an env member that
// sends to many agents: publish or broadcast.
template <class Deliver>
Result to_many(host_call& call, Deliver deliver) {
  std::string topic, payload;
  std::int32_t code = abi_ok;
  if (!read_text(call, 0, "topic", topic, code)
      || !read_payload(call, 2, payload, code))
    return Result::Error;
  if (code != abi_ok)
    return call.ret(code);
  return call.ret((call.ctx.env->*deliver)(std::move(topic),
                                            std::move(payload)));
}

Result publish(host_call& call) {
  return to_many(call, &guest_env::publish);
}

Result broadcast(host_call& call) {
  return to_many(call, &guest_env::broadcast);
}

Result subscribe_impl(host_call& call, bool on) {
  std::string topic;
  std::int32_t code = abi_ok;
  if (!read_text(call, 0, "topic", topic, code))
    return Result::Error;
  if (code != abi_ok)
    return call.ret(code);
  return call.ret(call.ctx.env->subscribe(topic, on));
}

Result subscribe(host_call& call) {
  return subscribe_impl(call, true);
}

Result unsubscribe(host_call& call) {
  return subscribe_impl(call, false);
}

Result log(host_call& call) {
  auto len = call.u32(2);
  if (!call.check(call.u32(1), len, "text"))
    return Result::Error;
  // A log line is for people; cut it rather than flood the log.
  constexpr std::uint32_t max_line = 4096;
  auto text = call.view(call.u32(1), std::min(len, max_line));
  static const spdlog::level::level_enum levels[]
    = {spdlog::level::debug, spdlog::level::info, spdlog::level::warn,
       spdlog::level::err};
  auto level = call.u32(0) < 4 ? levels[call.u32(0)] : spdlog::level::info;
  call.ctx.env->log(level, text);
  return Result::Ok;
}

Result self_pid(host_call& call) {
  return call.ret64(static_cast<std::int64_t>(call.ctx.env->self_pid()));
}

Result self_id(host_call& call) {
  return copy_text(call, call.ctx.env->self_id());
}

Result now_ms(host_call& call) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return call.ret64(
    std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

Result monotonic_ns(host_call& call) {
  auto now = std::chrono::steady_clock::now().time_since_epoch();
  return call.ret64(
    std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
}

Result exit(host_call& call) {
  call.ctx.exit_code = static_cast<std::int32_t>(call.u32(0));
  return call.fail("exit(" + std::to_string(*call.ctx.exit_code) + ")");
}

} // namespace

const std::vector<host_function>& corral_functions() {
  static const std::vector<host_function> all = {
    {corral_module, "message_topic", "ii", "i", message_topic},
    {corral_module, "message_payload", "ii", "i", message_payload},
    {corral_module, "message_sender", "ii", "i", message_sender},
    {corral_module, "message_correlation", "", "I", message_correlation},
    {corral_module, "reply", "ii", "i", reply},
    {corral_module, "send", "iiiiii", "i", send},
    {corral_module, "request", "iiiiiii", "I", request},
    {corral_module, "publish", "iiii", "i", publish},
    {corral_module, "broadcast", "iiii", "i", broadcast},
    {corral_module, "subscribe", "ii", "i", subscribe},
    {corral_module, "unsubscribe", "ii", "i", unsubscribe},
    {corral_module, "log", "iii", "", log},
    {corral_module, "self_pid", "", "I", self_pid},
    {corral_module, "self_id", "ii", "i", self_id},
    {corral_module, "now_ms", "", "I", now_ms},
    {corral_module, "monotonic_ns", "", "I", monotonic_ns},
    {corral_module, "exit", "i", "", exit},
  };
  return all;
}

} // namespace corral::wasm
