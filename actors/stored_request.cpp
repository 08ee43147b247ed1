#include "actors/stored_request.hpp"

#include "actors/error.hpp"
#include "serialization/binary_forms.hpp"

namespace corral {

namespace {

// The binary form of a request that sets only its agent_id, agent_type,
// restart type and parent pid. Such requests keep no binary form of their
// own.
const std::string& plain_form() {
  static const std::string form = [] {
    spawn_request plain;
    plain.agent_type.clear();
    return to_binary(plain);
  }();
  return form;
}

// Checks the fields directly, because encoding every request only to
// compare it would cost an estimated microsecond per spawn.
bool is_plain(const spawn_request& x) {
  // A new field of spawn_request changes its size: check it here too.
  static_assert(sizeof(spawn_request) == 616);
  static_assert(sizeof(supervisor_spec) == 32);
  const supervisor_spec defaults;
  const auto& spec = x.supervision;
  return !x.caps && x.env.empty()
         && std::holds_alternative<native_backend>(x.backend)
         && spec.strategy == defaults.strategy
         && spec.max_restarts == defaults.max_restarts
         && spec.period_ms == defaults.period_ms
         && spec.backoff_initial_ms == defaults.backoff_initial_ms
         && spec.backoff_max_ms == defaults.backoff_max_ms
         && !sets_any(x.limits);
}

} // namespace

request_fields split_fields(const spawn_request& request) {
  request_fields fields;
  fields.agent_type = request.agent_type;
  fields.backend = backend_name(request.backend);
  fields.restart = request.restart;
  fields.has_parent = request.parent_pid.has_value();
  fields.parent = request.parent_pid.value_or(kernel_pid);
  if (is_plain(request))
    return fields;
  auto rest = request;
  rest.agent_id.clear();
  rest.agent_type.clear();
  rest.restart = restart_type::permanent;
  rest.parent_pid.reset();
  fields.encoded = to_binary(rest);
  return fields;
}

stored_request::stored_request(const spawn_request& request)
  : stored_request(request.agent_id, split_fields(request)) {
}

stored_request::stored_request(const std::string& agent_id,
                               request_fields fields)
  : backend_(fields.backend),
    type_size_(static_cast<std::uint32_t>(fields.agent_type.size())),
    id_size_(static_cast<std::uint16_t>(agent_id.size())),
    restart_(fields.restart),
    has_parent_(fields.has_parent),
    parent_(fields.parent) {
  packed_.reserve(agent_id.size() + fields.agent_type.size()
                  + fields.encoded.size());
  packed_ += agent_id;
  packed_ += fields.agent_type;
  packed_ += fields.encoded;
}

caf::expected<std::shared_ptr<const spawn_request>>
stored_request::unpack() const {
  auto offset = std::size_t{id_size_} + type_size_;
  auto form = offset == packed_.size() ? plain_form() : packed_.substr(offset);
  auto decoded = from_binary<spawn_request>(form);
  if (!decoded)
    return make_error(errc::internal_error,
                      "the stored spawn request of " + agent_id()
                        + " does not decode (" + decoded.error().detail
                        + "); please report this as a bug");
  auto request = std::make_shared<spawn_request>(std::move(*decoded));
  request->agent_id = agent_id();
  request->agent_type = agent_type();
  request->restart = restart_;
  if (has_parent_)
    request->parent_pid = parent_;
  return std::shared_ptr<const spawn_request>{std::move(request)};
}

std::shared_ptr<const stored_request> store(const spawn_request& request) {
  return std::make_shared<const stored_request>(request);
}

} // namespace corral
