#include "net/cluster_transport.hpp"

#include <cerrno>
#include <system_error>
#include <vector>

#include "net/curve_keys.hpp"
#include "net/listen_address.hpp"
#include "net/net_log.hpp"
#include "serialization/frame_batch.hpp"
#include "serialization/json_reader.hpp"
#include "serialization/node_id.hpp"

namespace corral {

namespace {

using clock_type = std::chrono::steady_clock;

/// A yield of the busy-poll loop that takes longer than this ends the
/// window. Uncontended, a yield returns within microseconds, and other
/// threads that run for a short moment (ZeroMQ's I/O thread, a woken
/// caller) finish within it. Under contention the scheduler gives other
/// threads slices of milliseconds.
constexpr std::chrono::microseconds busy_poll_max_yield{50};

} // namespace

// -- starting and stopping ---------------------------------------------------

cluster_transport::cluster_transport(std::string node_id,
                                     transport_config config,
                                     transport_events& events)
  : node_id_(std::move(node_id)),
    config_(config),
    events_(events),
    context_(1),
    router_(context_, zmq::socket_type::router),
    outbox_(config.max_queued_bytes_per_peer),
    reassembly_(config.max_reassembly_bytes_per_peer),
    drop_log_(node_id_, drop_reason_count) {
  limits_.max_body_bytes = static_cast<std::uint32_t>(config_.chunk_bytes);
  limits_.max_chunk_count = static_cast<std::uint32_t>(
    config_.max_message_bytes / config_.chunk_bytes + 1);
}

result<std::unique_ptr<cluster_transport>>
cluster_transport::start(std::string node_id, const std::string& listen_address,
                         transport_config config, transport_events& events) {
  if (config.chunk_bytes == 0 || config.max_message_bytes == 0)
    return failure{errc::invalid_request,
                   "chunk_bytes and max_message_bytes must be above 0"};
  if (config.max_batch_bytes > config.chunk_bytes)
    return failure{errc::invalid_request,
                   "max_batch_bytes " + std::to_string(config.max_batch_bytes)
                     + " exceeds chunk_bytes "
                     + std::to_string(config.chunk_bytes)
                     + "; a batch must fit in one frame"};
  if (config.busy_poll.count() < 0)
    return failure{errc::invalid_request,
                   "busy_poll of " + std::to_string(config.busy_poll.count())
                     + " us is negative; use 0 to turn busy polling off"};
  std::unique_ptr<cluster_transport> transport;
  try {
    transport.reset(
      new cluster_transport(std::move(node_id), config, events));
  } catch (const std::exception& e) {
    return failure{errc::internal_error,
                   std::string{"cannot create the cluster transport: "}
                     + e.what()};
  }
  if (auto error = transport->bind(listen_address))
    return *error;
  transport->next_tick_ = clock_type::now();
  transport->io_thread_ = std::thread{[ptr = transport.get()] { ptr->run(); }};
  transport->outbox_.set_consumer(transport->io_thread_.get_id());
  net_log(spdlog::level::info, transport->node_id_,
          "cluster transport listening on " + transport->listen_address_);
  return transport;
}

std::optional<failure> cluster_transport::bind(const std::string& address) {
  auto parsed = parse_listen_address(address);
  if (!parsed)
    return parsed.error();
  router_.set(zmq::sockopt::router_handover, true);
  router_.set(zmq::sockopt::linger, 0);
  // Frames up to four chunks still reach the checks and are counted as
  // oversized; ZeroMQ closes the connection of a peer that sends more.
  router_.set(zmq::sockopt::maxmsgsize,
              static_cast<std::int64_t>(4 * config_.chunk_bytes
                                        + frame_header_bytes));
  if (parsed->ipv6)
    router_.set(zmq::sockopt::ipv6, true);
  if (auto error = set_up_curve_server())
    return error;
  try {
    router_.bind(parsed->bind_endpoint);
  } catch (const zmq::error_t& e) {
    if (e.num() == EADDRINUSE)
      return failure{errc::invalid_request,
                     "cannot listen on " + address
                       + ": the address is in use by another process; "
                         "choose another port, or port 0 for a free one"};
    return failure{errc::invalid_request,
                   "cannot listen on " + address + ": " + e.what()};
  }
  listen_address_ = router_.get(zmq::sockopt::last_endpoint);
  return std::nullopt;
}

std::optional<failure> cluster_transport::set_up_curve_server() {
  const auto& security = config_.security;
  if (!security.enabled)
    return std::nullopt;
  if (!curve_available())
    return failure{errc::internal_error,
                   "this libzmq has no CURVE support, so the node cannot "
                   "authenticate peers; install a libzmq built with "
                   "libsodium, or run with --insecure on a trusted network"};
  // The ZAP endpoint must exist before the first peer connects: without
  // it, libzmq's Curve server admits every client key.
  // The node admits its own key too, for a seed list that names this
  // node under another address.
  auto admitted = security.peer_keys;
  admitted[node_id_] = security.public_key;
  try {
    zap_ = std::make_unique<zap_handler>(context_, node_id_, admitted);
  } catch (const zmq::error_t& e) {
    return failure{errc::internal_error,
                   std::string{"cannot bind the ZAP endpoint: "} + e.what()};
  }
  router_.set(zmq::sockopt::curve_server, true);
  router_.set(zmq::sockopt::curve_secretkey, security.secret_key);
  router_.set(zmq::sockopt::zap_domain, "corral");
  net_log(spdlog::level::info, node_id_,
          "CurveZMQ on: this node admits "
            + std::to_string(security.peer_keys.size())
            + " peer key(s); its public key is " + security.public_key);
  return std::nullopt;
}

cluster_transport::~cluster_transport() {
  stop();
}

void cluster_transport::stop() {
  if (!io_thread_.joinable())
    return;
  stopping_ = true;
  outbox_.wake();
  io_thread_.join();
  net_log(spdlog::level::info, node_id_,
          "cluster transport on " + listen_address_ + " stopped");
}

void cluster_transport::shut_down_links() {
  for (auto& [peer, link] : links_) {
    link->set_linger(config_.linger, std::chrono::milliseconds{0});
    outbox_.set_open(peer, false);
  }
  links_.clear();
  router_.close();
  zap_.reset();
}

// -- the I/O thread ----------------------------------------------------------

void cluster_transport::run() {
  while (!stopping_) {
    try {
      poll_once();
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM)
        break;
      drop(drop_reason::internal_error,
           std::string{"ZeroMQ error: "} + e.what());
    } catch (const std::exception& e) {
      drop(drop_reason::internal_error,
           e.what());
    }
  }

  try {
    events_.on_stop();
    queue_outbound(false);
    flush_pending();
  } catch (const std::exception& e) {
    net_log(spdlog::level::warn, node_id_,
            std::string{"cluster transport could not finish at stop: "}
              + e.what());
  }
  shut_down_links();
}

void cluster_transport::build_poll_items() {
  auto& items = poll_items_;
  items.clear();
  items.push_back({router_.handle(), 0, ZMQ_POLLIN, 0});
  items.push_back({nullptr, outbox_.wakeup_fd(), ZMQ_POLLIN, 0});
  if (zap_)
    items.push_back({zap_->socket().handle(), 0, ZMQ_POLLIN, 0});
  for (auto& [peer, link] : links_) {
    items.push_back({link->monitor().handle(), 0, ZMQ_POLLIN, 0});
    for (auto which : {lane::control, lane::bulk})
      if (!link->pending(which).empty())
        items.push_back({link->socket(which).handle(), 0, ZMQ_POLLOUT, 0});
  }
}

void cluster_transport::wait_for_events() {
  auto& items = poll_items_;
  // In the busy-poll window a message finds this thread awake, so it
  // costs no wake-up. The yield lets the threads that share this core run,
  // e.g. ZeroMQ's I/O thread and the thread that waits for a reply.
  for (;;) {
    auto now = clock_type::now();
    if (now >= busy_poll_until_ || now >= next_tick_)
      break;
    if (zmq::poll(items.data(), items.size(), std::chrono::milliseconds{0})
        > 0) {
      ++counters_.busy_poll_hits;
      return;
    }
    std::this_thread::yield();
    // A long yield means that other threads wait for this core. A thread
    // that yields stays runnable, so the scheduler does not run it early
    // when a message arrives, as it would run a woken thread. Blocking is
    // then faster and leaves the core to the others.
    if (clock_type::now() - now > busy_poll_max_yield) {
      busy_poll_until_ = {};
      break;
    }
  }
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
    next_tick_ - clock_type::now());
  if (wait.count() < 0)
    wait = std::chrono::milliseconds{0};
  zmq::poll(items.data(), items.size(), wait);
}

void cluster_transport::poll_once() {
  build_poll_items();
  auto& items = poll_items_;
  wait_for_events();
  moved_payload_ = false;

  if (zap_ && (items[2].revents & ZMQ_POLLIN))
    counters_.refused_keys += zap_->answer_requests(clock_type::now());
  bool woken = (items[1].revents & ZMQ_POLLIN) != 0;
  if (items[0].revents & ZMQ_POLLIN)
    receive_frames();
  read_monitors();

  auto now = clock_type::now();
  if (now >= next_tick_) {
    next_tick_ = now + config_.tick_interval;
    events_.on_tick(now);
  }

  // Taken after the handlers above, which may have queued replies without
  // waking this thread, so that a reply goes out in the round of its
  // request.
  queue_outbound(woken);
  flush_pending();
  if (moved_payload_)
    busy_poll_until_ = clock_type::now() + config_.busy_poll;
}

} // namespace corral
