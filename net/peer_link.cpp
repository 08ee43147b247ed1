#include "net/peer_link.hpp"

#include <atomic>
#include <cstring>

namespace corral {

namespace {

/// Bodies from this size on are handed to ZeroMQ without a copy. Smaller
/// ones are copied, which costs less than the reference that zero copy
/// must allocate and ZeroMQ's I/O thread must release.
constexpr std::size_t zero_copy_min_bytes = 1024;

void release_body(void*, void* hint) {
  delete static_cast<std::shared_ptr<const std::string>*>(hint);
}

std::string make_monitor_endpoint() {
  static std::atomic<std::uint64_t> next{1};
  return "inproc://corral-link-monitor-" + std::to_string(next++);
}

zmq::socket_t make_dealer(zmq::context_t& context, const std::string& identity,
                          int high_water_mark,
                          const transport_config& config) {
  zmq::socket_t socket{context, zmq::socket_type::dealer};
  socket.set(zmq::sockopt::routing_id, identity);
  socket.set(zmq::sockopt::sndhwm, high_water_mark);
  // Frames are queued only on a connection whose handshake succeeded, so
  // a send to a dead or not yet reachable peer fails at once instead of
  // piling up in ZeroMQ.
  socket.set(zmq::sockopt::immediate, true);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::reconnect_ivl,
             static_cast<int>(config.reconnect_interval.count()));
  socket.set(zmq::sockopt::reconnect_ivl_max,
             static_cast<int>(config.reconnect_interval_max.count()));
  return socket;
}

void make_curve_client(zmq::socket_t& socket, const curve_security& security,
                       const std::string& server_key) {
  socket.set(zmq::sockopt::curve_serverkey, server_key);
  socket.set(zmq::sockopt::curve_publickey, security.public_key);
  socket.set(zmq::sockopt::curve_secretkey, security.secret_key);
}

} // namespace

peer_link::peer_link(zmq::context_t& context, const std::string& self_id,
                     const std::string& address,
                     const transport_config& config,
                     const std::string& server_key)
  : address_(address),
    control_(make_dealer(context, self_id + "/control",
                         config.control_high_water_mark, config)),
    bulk_(make_dealer(context, self_id + "/bulk", config.bulk_high_water_mark,
                      config)),
    monitor_endpoint_(make_monitor_endpoint()) {
  if (address.find('[') != std::string::npos) {
    control_.set(zmq::sockopt::ipv6, true);
    bulk_.set(zmq::sockopt::ipv6, true);
  }
  if (config.security.enabled) {
    make_curve_client(control_, config.security, server_key);
    make_curve_client(bulk_, config.security, server_key);
  }
  // The monitor is attached before connecting, so that no event is missed.
  if (zmq_socket_monitor(control_.handle(), monitor_endpoint_.c_str(),
                         ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                           | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                           | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                           | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
      != 0)
    throw zmq::error_t{};
  monitor_ = zmq::socket_t{context, zmq::socket_type::pair};
  monitor_.set(zmq::sockopt::linger, 0);
  monitor_.connect(monitor_endpoint_);
  control_.connect(address);
  bulk_.connect(address);
}

peer_link::~peer_link() {
  zmq_socket_monitor(control_.handle(), nullptr, 0);
  monitor_.close();
  control_.close();
  bulk_.close();
}

bool peer_link::try_send_header(zmq::socket_t& target,
                                const frame_header& header) {
  char bytes[frame_header_bytes];
  write_frame_header(header, bytes);
  // Once ZeroMQ accepts the first part of a message, it accepts the rest,
  // so a frame is never sent half.
  return target
    .send(zmq::const_buffer{bytes, sizeof bytes},
          zmq::send_flags::sndmore | zmq::send_flags::dontwait)
    .has_value();
}

bool peer_link::try_send(lane which, const frame_header& header,
                         const char* body, std::size_t size) {
  auto& target = socket(which);
  if (!try_send_header(target, header))
    return false;
  target.send(zmq::const_buffer{body, size}, zmq::send_flags::dontwait);
  return true;
}

bool peer_link::try_send(lane which, const pending_chunk& frame) {
  const char* data = frame.body->data() + frame.offset;
  if (frame.size < zero_copy_min_bytes)
    return try_send(which, frame.header, data, frame.size);

  auto& target = socket(which);
  if (!try_send_header(target, frame.header))
    return false;
  auto reference = std::make_unique<std::shared_ptr<const std::string>>(
    frame.body);
  zmq::message_t body{const_cast<char*>(data), frame.size, &release_body,
                      reference.get()};
  // From here on the message owns the reference.
  (void) reference.release();
  target.send(body, zmq::send_flags::dontwait);
  return true;
}

std::optional<link_event> peer_link::read_monitor_event(bool& more) {
  more = false;
  zmq::message_t event;
  if (!monitor_.recv(event, zmq::recv_flags::dontwait))
    return std::nullopt;
  more = true;
  // The second part names the endpoint; only the event number matters.
  if (event.more()) {
    zmq::message_t ignored;
    (void) monitor_.recv(ignored, zmq::recv_flags::dontwait);
  }
  if (event.size() < sizeof(std::uint16_t))
    return std::nullopt;
  std::uint16_t number = 0;
  std::memcpy(&number, event.data(), sizeof number);
  if (number == ZMQ_EVENT_DISCONNECTED)
    return link_event::disconnected;
  if (number == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
    return link_event::connected;
  if (number == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
    return link_event::key_refused;
  if (number == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
      || number == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
    return link_event::handshake_failed;
  return std::nullopt;
}

bool peer_link::take_handshake_log_turn(
  std::chrono::steady_clock::time_point now) {
  if (handshake_logged_ && now - *handshake_logged_ < std::chrono::minutes{1})
    return false;
  handshake_logged_ = now;
  return true;
}

void peer_link::set_linger(std::chrono::milliseconds control,
                           std::chrono::milliseconds bulk) {
  control_.set(zmq::sockopt::linger, static_cast<int>(control.count()));
  bulk_.set(zmq::sockopt::linger, static_cast<int>(bulk.count()));
}

} // namespace corral
