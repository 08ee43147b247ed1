#include "actors/error.hpp"

#include <caf/sec.hpp>

namespace corral {

caf::error make_error(errc code, std::string detail) {
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(detail))};
}

caf::error to_error(const failure& x) {
  return make_error(x.code, x.detail);
}

namespace {

std::string context_text(const caf::error& x) {
  const auto& context = x.context();
  if (context.size() == 1 && context.match_element<std::string>(0))
    return context.get_as<std::string>(0);
  return context.empty() ? std::string{} : caf::to_string(context);
}

failure from_caf_sec(const caf::error& x) {
  switch (static_cast<caf::sec>(x.code())) {
    case caf::sec::request_timeout:
      return {errc::timeout, "the request timed out"};
    case caf::sec::request_receiver_down:
      return {errc::agent_exited, "the receiver exited before it replied"};
    case caf::sec::unexpected_message:
      return {errc::invalid_request, "the receiver does not handle this message"};
    default:
      return {errc::internal_error, caf::to_string(x)};
  }
}

} // namespace

failure to_failure(const caf::error& x) {
  if (!x)
    return {};
  if (x.category() == error_category)
    return {static_cast<errc>(x.code()), context_text(x)};
  if (x.category() == caf::atom("system"))
    return from_caf_sec(x);
  if (x.category() == exit_category || x.category() == caf::atom("exit"))
    return {errc::agent_exited, "the receiver exited before it replied: "
                                  + to_string(from_exit_error(x))};
  return {errc::internal_error, caf::to_string(x)};
}

std::string describe(const caf::error& x) {
  return to_string(to_failure(x));
}

void add_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(error_category,
                         [](uint8_t code, caf::atom_value,
                            const caf::message& context) -> std::string {
                           failure x{static_cast<errc>(code), {}};
                           if (context.size() == 1
                               && context.match_element<std::string>(0))
                             x.detail = context.get_as<std::string>(0);
                           return to_string(x);
                         });
}

} // namespace corral

namespace corral {

caf::error to_exit_error(const exit_reason& reason) {
  if (reason.kind == exit_kind::normal && reason.detail.empty())
    return caf::error{};
  return caf::error{static_cast<uint8_t>(reason.kind), exit_category,
                    caf::make_message(reason.detail)};
}

exit_reason from_exit_error(const caf::error& x) {
  if (!x)
    return {exit_kind::normal, {}};
  if (x.category() == exit_category) {
    std::string detail;
    if (x.context().size() == 1 && x.context().match_element<std::string>(0))
      detail = x.context().get_as<std::string>(0);
    return {static_cast<exit_kind>(x.code()), std::move(detail)};
  }
  if (x.category() == caf::atom("exit")) {
    switch (static_cast<caf::exit_reason>(x.code())) {
      case caf::exit_reason::normal:
        return {exit_kind::normal, {}};
      case caf::exit_reason::user_shutdown:
        return {exit_kind::shutdown, {}};
      case caf::exit_reason::kill:
        return {exit_kind::killed, {}};
      case caf::exit_reason::unhandled_exception:
        return {exit_kind::crashed, "unhandled exception"};
      default:
        return {exit_kind::crashed, caf::to_string(x)};
    }
  }
  return {exit_kind::crashed, describe(x)};
}

} // namespace corral
