#include "net/request_envelope.hpp"

#include <vector>

#include "net/control_protocol.hpp"
#include "serialization/json_forms.hpp"

namespace corral {

namespace {

constexpr std::size_t max_kept_parts = 4;

request_envelope reject(request_envelope envelope, envelope_error error,
                        std::string detail) {
  envelope.error = error;
  envelope.detail = std::move(detail);
  return envelope;
}

request_envelope check(std::vector<zmq::message_t>& parts,
                       std::size_t part_count, const std::string& token) {
  request_envelope envelope;
  envelope.identity = parts[0].to_string();

  // A REQ client puts an empty delimiter before its one body frame. A lone
  // empty frame is an empty body instead, and fails as invalid JSON.
  envelope.delimiter = part_count >= 3 && parts[1].size() == 0;
  std::size_t body_frames = part_count - 1 - (envelope.delimiter ? 1 : 0);
  if (body_frames != 1)
    return reject(std::move(envelope), envelope_error::bad_frame_count,
                  "a request is one frame holding a JSON object, but "
                    + std::to_string(body_frames) + " frames arrived");

  const auto& body = parts[envelope.delimiter ? 2 : 1];
  if (body.size() > max_request_bytes)
    return reject(std::move(envelope), envelope_error::oversized,
                  "the request is " + std::to_string(body.size())
                    + " bytes; the control endpoint accepts at most "
                    + std::to_string(max_request_bytes));

  auto parsed = parse_json_text(body.to_string());
  if (!parsed)
    return reject(std::move(envelope), envelope_error::malformed_json,
                  parsed.error().detail);
  if (!parsed->is_object())
    return reject(std::move(envelope), envelope_error::malformed_json,
                  "a request must be a JSON object");
  envelope.request = std::move(*parsed);

  if (!token.empty()) {
    auto sent_token = envelope.request.find("token");
    bool valid = sent_token != envelope.request.end()
                 && sent_token->is_string()
                 && tokens_equal(sent_token->get<std::string>(), token);
    if (!valid)
      return reject(std::move(envelope), envelope_error::invalid_token,
                    "the request has a missing or invalid \"token\" field");
    envelope.request.erase("token");
  }
  return envelope;
}

} // namespace

std::optional<request_envelope> receive_request(zmq::socket_t& router,
                                                const std::string& token) {
  std::vector<zmq::message_t> parts;
  std::size_t part_count = 0;
  zmq::message_t part;
  if (!router.recv(part, zmq::recv_flags::dontwait))
    return std::nullopt;
  for (;;) {
    bool more = part.more();
    ++part_count;
    if (parts.size() < max_kept_parts)
      parts.push_back(std::move(part));
    if (!more)
      break;
    // The remaining parts of a message arrive together with its first.
    part = zmq::message_t{};
    if (!router.recv(part, zmq::recv_flags::dontwait))
      break;
  }
  return check(parts, part_count, token);
}

} // namespace corral
