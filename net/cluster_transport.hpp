#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "net/cluster_config.hpp"
#include "net/cluster_outbox.hpp"
#include "net/frame_reassembly.hpp"
#include "net/peer_link.hpp"
#include "net/peer_links.hpp"
#include "net/rate_limited_log.hpp"
#include "net/transport_stats.hpp"
#include "net/zap_handler.hpp"
#include "serialization/result.hpp"

namespace corral {

/// A whole message from a peer, after reassembly of its chunks.
struct inbound_frame {
  /// The sender's node id, from the connection's routing identity.
  std::string sender;
  corral::lane lane = lane::control;
  std::uint8_t kind = 0;
  std::uint64_t message_id = 0;
  std::string body;
};

/// The reason the owner of the transport rejected an inbound message.
struct frame_rejection {
  drop_reason reason = drop_reason::malformed_body;
  /// Names the value and what is wrong, for the log.
  std::string detail;
};

/// Callbacks of the transport's owner, run on the I/O thread. Every function
/// must return quickly; an exception it throws is caught, counted and logged.
class transport_events {
public:
  virtual ~transport_events() = default;

  /// Handles a whole inbound message, whose body it may move out. Returns
  /// why it was rejected, which the transport counts and logs, or nothing.
  virtual std::optional<frame_rejection> on_frame(inbound_frame& frame) = 0;

  /// Reports a drop or reconnection of the control connection `peer`.
  virtual void on_link_event(const std::string& peer, link_event event) = 0;

  /// Runs every tick interval, after the inbound frames of that round.
  virtual void on_tick(std::chrono::steady_clock::time_point now) = 0;

  /// Runs once at stop, before the sockets close, e.g. to send leave.
  virtual void on_stop() = 0;
};

/// The node-to-node transport: one ZeroMQ context and one I/O thread that
/// owns every socket. Peers connect to this node's ROUTER socket, and this
/// node reaches each peer through a `peer_link` of two DEALER sockets, one
/// per lane. Other threads queue messages with `submit`. The I/O thread
/// packs the small messages that queued up for a lane into batch frames,
/// cuts large ones into chunks and sends them without blocking. It also checks
/// every inbound frame and passes whole messages to `transport_events`.
/// Invalid frames are dropped, counted per reason and logged at most once
/// per second per reason. With `transport_config::security` enabled, every
/// socket uses CurveZMQ and a ZAP handler admits only the configured peer
/// keys. docs/wire-protocol.md describes the bytes.
class cluster_transport : public peer_links {
public:
  /// Binds the ROUTER to `listen_address` and starts the I/O thread, which
  /// calls `events` until `stop`. Port 0 picks a free port. Fails with
  /// invalid_request for an address that is not tcp://HOST:PORT with a
  /// specific host, or that another process uses, and with internal_error
  /// when security is enabled but libzmq has no CURVE support.
  static result<std::unique_ptr<cluster_transport>>
  start(std::string node_id, const std::string& listen_address,
        transport_config config, transport_events& events);

  /// Stops if still running.
  ~cluster_transport() override;

  cluster_transport(const cluster_transport&) = delete;
  cluster_transport& operator=(const cluster_transport&) = delete;

  /// Returns the bound address, with the real port when 0 was asked for.
  const std::string& listen_address() const {
    return listen_address_;
  }

  /// Queues `body` for `peer` from any thread. Fails with node_unreachable
  /// when no link to `peer` is open, resource_limit_exceeded when its
  /// queue is full, and invalid_request for a body over the message limit
  /// or a kind outside the payload range.
  std::optional<failure> submit(const std::string& peer, lane which,
                                std::uint8_t kind, std::string body);

  /// Calls `on_stop` on the I/O thread, closes every socket (the control
  /// lanes linger for `linger` so that last frames go out) and joins the
  /// thread. Safe to call twice.
  void stop();

  /// Returns a snapshot of the counters.
  transport_counters counters() const {
    return counters_.snapshot();
  }

  // peer_links: for the I/O thread, i.e. from inside `transport_events`.
  // With security enabled, `open_link` opens nothing for a peer whose
  // public key the config lacks, and logs that once per peer.
  void open_link(const std::string& peer, const std::string& address) override;
  void close_link(const std::string& peer) override;
  bool send_control(const std::string& peer, frame_kind kind,
                    const std::string& body) override;

  /// Drops the incomplete messages of `peer`. I/O thread only.
  void forget_partial_messages(const std::string& peer);

private:
  cluster_transport(std::string node_id, transport_config config,
                    transport_events& events);

  std::optional<failure> bind(const std::string& listen_address);
  std::optional<failure> set_up_curve_server();
  const std::string* find_server_key(const std::string& peer,
                                     const std::string& address) const;
  bool sender_matches_key(const std::string& identity,
                          const zmq::message_t& header);
  void run();
  void poll_once();
  void wait_for_events();
  void build_poll_items();
  void receive_frames();
  void receive_one();
  bool parse_identity(std::string_view identity);
  void check_frame(std::string_view identity, std::string_view header,
                   const zmq::message_t& body);
  void receive_chunk(const frame_header& header, std::string_view body);
  void receive_batch(const frame_header& header, std::string_view body);
  void deliver(inbound_frame& frame);
  void read_monitors();
  void log_handshake_failure(const std::string& peer, link_event event);
  void queue_outbound(bool clear_wakeup);
  bool fits_in_batch(std::size_t size) const;
  void add_to_batch(peer_link& link, outbound_message& message);
  void close_batch(peer_link& link, lane which);
  void queue_chunks(peer_link& link, outbound_message& message);
  void flush_pending();
  frame_header make_header(std::uint8_t kind, lane which,
                           std::uint64_t message_id, std::uint32_t index,
                           std::uint32_t count, std::size_t size) const;
  void drop(drop_reason reason, const std::string& detail);
  void shut_down_links();

  std::string node_id_;
  transport_config config_;
  frame_limits limits_;
  transport_events& events_;
  std::string listen_address_;

  zmq::context_t context_;
  zmq::socket_t router_;
  /// The ZAP endpoint; only with security enabled.
  std::unique_ptr<zap_handler> zap_;
  /// Peers already logged as skipped for lack of a public key.
  std::set<std::string> peers_without_key_;
  cluster_outbox outbox_;
  std::map<std::string, std::unique_ptr<peer_link>> links_;
  frame_reassembly reassembly_;
  atomic_transport_counters counters_;
  rate_limited_log drop_log_;
  std::uint64_t next_message_id_ = 1;

  // Reused on every round, so that the I/O thread does not allocate per
  // poll or per frame.
  std::vector<zmq::pollitem_t> poll_items_;
  std::vector<outbound_message> taken_;
  /// Identity, header and body of the inbound message being read.
  std::array<zmq::message_t, 3> parts_;
  /// The message handed to `transport_events::on_frame`.
  inbound_frame inbound_;
  /// The last routing identity read, so that a stream from one peer is
  /// parsed once: its sender and lane are in `inbound_`.
  std::string last_identity_;

  std::chrono::steady_clock::time_point next_tick_;
  /// End of the busy-poll window, `busy_poll` after the last round that
  /// moved a payload message. Until then the I/O thread does not block.
  std::chrono::steady_clock::time_point busy_poll_until_;
  /// Set when the current round received or queued a payload message.
  bool moved_payload_ = false;
  std::atomic<bool> stopping_{false};
  std::thread io_thread_;
};

} // namespace corral
