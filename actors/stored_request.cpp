#include "actors/stored_request.hpp"

#include "actors/error.hpp"
#include "serialization/binary_forms.hpp"

namespace corral {

namespace {

// The binary form of a request that sets only its agent_id and agent_type;
// such requests keep no binary form.
const std::string& plain_form() {
  static const std::string form = [] {
    spawn_request plain;
    plain.agent_type.clear();
    return to_binary(plain);
  }();
  return form;
}

} // namespace

stored_request::stored_request(const spawn_request& request)
  : backend_(backend_name(request.backend)),
    type_size_(static_cast<std::uint32_t>(request.agent_type.size())),
    id_size_(static_cast<std::uint16_t>(request.agent_id.size())),
    restart_(request.restart) {
  auto rest = request;
  rest.agent_id.clear();
  rest.agent_type.clear();
  auto form = to_binary(rest);
  packed_.reserve(request.agent_id.size() + request.agent_type.size()
                  + (form == plain_form() ? 0 : form.size()));
  packed_ += request.agent_id;
  packed_ += request.agent_type;
  if (form != plain_form())
    packed_ += form;
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
  return std::shared_ptr<const spawn_request>{std::move(request)};
}

std::shared_ptr<const stored_request> store(const spawn_request& request) {
  return std::make_shared<const stored_request>(request);
}

} // namespace corral
