#include "net/control_client.hpp"

#include <cerrno>

#include "net/control_protocol.hpp"
#include "net/listener_probe.hpp"
#include "net/socket_file.hpp"
#include "serialization/json_forms.hpp"

namespace corral {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

bool is_stream_frame(const nlohmann::json& frame) {
  return frame.contains("event") && frame.contains("stream");
}

/// True when `frame` is the reply to the request with `id`. A reply without
/// an id belongs to a request the endpoint could not read (oversized or
/// invalid), and only the current request can be such a request.
bool answers(const nlohmann::json& frame, std::uint64_t id) {
  if (!frame.contains("ok"))
    return false;
  auto i = frame.find("id");
  if (i == frame.end())
    return true;
  return i->is_number_unsigned() && i->get<std::uint64_t>() == id;
}

} // namespace

control_client::control_client(std::string endpoint,
                               control_client_options options)
  : context_(1),
    socket_(context_, zmq::socket_type::dealer),
    endpoint_(std::move(endpoint)),
    options_(std::move(options)) {
  // No ZMQ_IMMEDIATE: it would make a send to an absent node fail fast, but
  // it also discards unread frames when the node disconnects, such as the
  // end frame of a stream. So `connect` probes the address instead.
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::sndtimeo,
              static_cast<int>(options_.connect_timeout.count()));
  socket_.set(zmq::sockopt::maxmsgsize, max_received_frame_bytes);
  if (endpoint_.rfind("tcp://[", 0) == 0)
    socket_.set(zmq::sockopt::ipv6, true);
  socket_.connect(endpoint_);
}

result<std::unique_ptr<control_client>>
control_client::connect(const control_address& address,
                        control_client_options options) {
  auto endpoint = to_endpoint(address);
  if (address.transport == control_transport::tcp && address.port == 0)
    return failure{errc::invalid_request,
                   "control address " + endpoint + " needs a port number"};
  if (address.transport == control_transport::ipc
      && !socket_file_exists(address.path))
    return failure{errc::node_unreachable,
                   "no node is listening on " + endpoint
                     + " (the socket file does not exist)"};
  auto listening = probe_listener(address);
  if (!listening)
    return failure{errc::node_unreachable, listening.error().detail};
  if (!*listening)
    return failure{errc::node_unreachable,
                   "no node is listening on " + endpoint
                     + " (the connection was refused; a node that is low on "
                       "file descriptors also refuses connections, see its "
                       "log)"};
  try {
    return std::unique_ptr<control_client>{
      new control_client(std::move(endpoint), std::move(options))};
  } catch (const zmq::error_t& e) {
    return failure{errc::internal_error, "cannot connect to " + endpoint
                                           + ": " + e.what()};
  }
}

result<nlohmann::json> control_client::request(nlohmann::json request,
                                               milliseconds timeout) {
  auto reply = exchange(std::move(request), timeout);
  if (!reply)
    return reply;
  if (auto error = reply_failure(*reply))
    return *error;
  return reply;
}

result<nlohmann::json> control_client::exchange(nlohmann::json request,
                                                milliseconds timeout) {
  auto id = next_id_++;
  request["id"] = id;
  if (!options_.token.empty())
    request["token"] = options_.token;
  auto text = to_frame_text(request);
  if (text.size() > max_request_bytes)
    return failure{errc::invalid_request,
                   "the request is " + std::to_string(text.size())
                     + " bytes; the control endpoint accepts at most "
                     + std::to_string(max_request_bytes)};

  try {
    if (!socket_.send(zmq::buffer(text), zmq::send_flags::none))
      return failure{errc::node_unreachable,
                     "sending to " + endpoint_ + " blocked for more than "
                       + std::to_string(options_.connect_timeout.count())
                       + " ms"};
  } catch (const zmq::error_t& e) {
    return failure{errc::node_unreachable,
                   "sending to " + endpoint_ + " failed: " + e.what()};
  }

  auto deadline = steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline
                                                         - steady_clock::now());
    if (left.count() <= 0)
      return no_reply(timeout);
    auto frame = receive(left);
    if (!frame) {
      if (frame.error().code == errc::timeout)
        continue;
      return frame.error();
    }
    if (is_stream_frame(*frame) && !frame->contains("ok")) {
      keep_stream_frame(std::move(*frame));
      continue;
    }
    if (!answers(*frame, id))
      continue;
    return std::move(*frame);
  }
}

result<nlohmann::json>
control_client::next_stream_frame(std::uint64_t stream, milliseconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  for (;;) {
    auto queue = stream_frames_.find(stream);
    if (queue != stream_frames_.end() && !queue->second.empty()) {
      auto frame = std::move(queue->second.front());
      queue->second.pop_front();
      if (queue->second.empty())
        stream_frames_.erase(queue);
      return frame;
    }

    auto left = std::chrono::duration_cast<milliseconds>(deadline
                                                         - steady_clock::now());
    if (left.count() < 0)
      left = milliseconds{0};
    auto frame = receive(left);
    if (!frame)
      return frame.error();
    // Late replies to earlier requests are not stream frames; skip them.
    if (is_stream_frame(*frame) && !frame->contains("ok"))
      keep_stream_frame(std::move(*frame));
    if (steady_clock::now() >= deadline && stream_frames_.count(stream) == 0)
      return failure{errc::timeout, "no frame of stream "
                                      + std::to_string(stream)
                                      + " arrived in time"};
  }
}

result<nlohmann::json> control_client::cancel_stream(std::uint64_t stream,
                                                     milliseconds timeout) {
  cancelled_streams_.insert(stream);
  stream_frames_.erase(stream);
  auto reply = request({{"op", "cancel"}, {"stream", stream}}, timeout);
  // The end frame arrives before the reply, so drop it too.
  stream_frames_.erase(stream);
  return reply;
}

void control_client::keep_stream_frame(nlohmann::json frame) {
  auto id = frame.find("stream");
  if (id == frame.end() || !id->is_number_unsigned())
    return;
  auto stream = id->get<std::uint64_t>();
  if (cancelled_streams_.count(stream) != 0)
    return;
  stream_frames_[stream].push_back(std::move(frame));
}

result<nlohmann::json> control_client::receive(milliseconds timeout) {
  zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
  try {
    zmq::poll(&item, 1, timeout);
    if (!(item.revents & ZMQ_POLLIN))
      return failure{errc::timeout, "no frame arrived"};

    // The body is the last part; a REQ-style empty delimiter may precede it.
    zmq::message_t part;
    std::string body;
    do {
      if (!socket_.recv(part, zmq::recv_flags::dontwait))
        break;
      body = part.to_string();
    } while (part.more());

    auto parsed = parse_json_text(body);
    if (!parsed)
      return failure{errc::internal_error, "the node at " + endpoint_
                                             + " sent invalid JSON: "
                                             + parsed.error().detail};
    return std::move(*parsed);
  } catch (const zmq::error_t& e) {
    // A signal (e.g. Ctrl-C under `watch`) ends the wait early; the caller
    // sees a timeout and checks its own state.
    if (e.num() == EINTR)
      return failure{errc::timeout, "interrupted by a signal"};
    return failure{errc::node_unreachable,
                   "receiving from " + endpoint_ + " failed: " + e.what()};
  }
}

failure control_client::no_reply(milliseconds timeout) const {
  return failure{errc::node_unreachable,
                 "no reply from the node at " + endpoint_ + " within "
                   + std::to_string(timeout.count()) + " ms"};
}

} // namespace corral
