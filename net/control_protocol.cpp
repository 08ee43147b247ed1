#include "net/control_protocol.hpp"

#include <random>

namespace corral {

nlohmann::json make_ok_reply() {
  return {{"ok", true}};
}

nlohmann::json make_error_reply(const failure& error) {
  return {{"ok", false},
          {"error", {{"code", to_string(error.code)}, {"detail", error.detail}}}};
}

std::optional<failure> reply_failure(const nlohmann::json& reply) {
  if (!reply.is_object() || !reply.contains("ok") || !reply["ok"].is_boolean())
    return failure{errc::internal_error,
                   "the node sent a reply without a boolean \"ok\" field"};
  if (reply["ok"].get<bool>())
    return std::nullopt;

  // An unknown code (e.g. from a newer node) reads as internal_error but
  // keeps its detail.
  failure result{errc::internal_error, {}};
  auto error = reply.find("error");
  if (error != reply.end() && error->is_object()) {
    auto code = error->find("code");
    if (code != error->end() && code->is_string()
        && !from_string(code->get<std::string>(), result.code))
      result.code = errc::internal_error;
    auto detail = error->find("detail");
    if (detail != error->end() && detail->is_string())
      result.detail = detail->get<std::string>();
  }
  if (result.detail.empty())
    result.detail = "the node sent an error reply without a detail";
  return result;
}

std::string to_frame_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string to_reply_text(const nlohmann::json& reply) {
  auto text = to_frame_text(reply);
  if (text.size() <= max_reply_bytes)
    return text;
  auto error = make_error_reply(
    {errc::resource_limit_exceeded,
     "the reply is " + std::to_string(text.size())
       + " bytes, above the control protocol's limit of "
       + std::to_string(max_reply_bytes)
       + " bytes; request less (e.g. a smaller payload)"});
  if (reply.is_object() && reply.contains("id"))
    error["id"] = reply["id"];
  return to_frame_text(error);
}

bool tokens_equal(const std::string& given, const std::string& expected) {
  if (given.size() != expected.size())
    return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < given.size(); ++i)
    difference |= static_cast<unsigned char>(given[i] ^ expected[i]);
  return difference == 0;
}

std::string make_control_token() {
  // libstdc++'s random_device reads the kernel's CSPRNG (getrandom or
  // /dev/urandom) on Linux.
  std::random_device device;
  static constexpr char digits[] = "0123456789abcdef";
  std::string token;
  for (int i = 0; i < 8; ++i) {
    auto word = device();
    for (int j = 0; j < 8; ++j) {
      token += digits[word & 0xf];
      word >>= 4;
    }
  }
  return token;
}

} // namespace corral
