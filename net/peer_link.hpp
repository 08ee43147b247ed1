#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "net/cluster_config.hpp"
#include "net/peer_links.hpp"
#include "serialization/wire_frame.hpp"

namespace corral {

/// One frame waiting for its socket: a chunk of a message, a whole
/// message, or a batch of small messages.
struct pending_chunk {
  /// Encoded when the frame goes out, so that no string is kept per frame.
  frame_header header;
  /// The whole message or batch body; this frame is `size` bytes from
  /// `offset`.
  std::shared_ptr<const std::string> body;
  std::size_t offset = 0;
  std::size_t size = 0;
  /// Bytes of queued messages that this frame carries, given back to the
  /// outbox's count when it is sent.
  std::size_t queued_bytes = 0;
  /// Messages in this frame: the entries of a batch, else 1.
  std::uint32_t messages = 1;
};

/// Small messages for one lane that wait to be sent as one `batch` frame.
/// The I/O thread fills it from the outbox and closes it as soon as no
/// earlier frame of the lane waits for the socket, so batching adds no
/// wait: a batch contains what queued up while earlier frames went out.
struct open_batch {
  /// A batch body (serialization/frame_batch.hpp), empty when `entries`
  /// is 0.
  std::string body;
  std::uint32_t entries = 0;
  /// Kind of the first entry, for a batch of one sent as a plain frame.
  std::uint8_t first_kind = 0;
  std::size_t queued_bytes = 0;
};

/// The connections from this node to one peer: a DEALER socket per lane,
/// connected to the peer's ROUTER, with this node's id and the lane as
/// routing identity ("n1/control", "n1/bulk"), and a socket monitor on the
/// control lane that reports drops and reconnections. Owned and used by
/// the I/O thread only.
class peer_link {
public:
  /// Connects both lanes to `address`. With `config.security` enabled,
  /// both are Curve clients that accept only a server with the Z85 public
  /// key `server_key`. Throws zmq::error_t when ZeroMQ rejects the address
  /// or a key, or the monitor cannot be set up.
  peer_link(zmq::context_t& context, const std::string& self_id,
            const std::string& address, const transport_config& config,
            const std::string& server_key = {});

  /// Stops the monitor and closes the sockets with a linger of 0.
  ~peer_link();

  peer_link(const peer_link&) = delete;
  peer_link& operator=(const peer_link&) = delete;

  /// Returns the peer's listen address.
  const std::string& address() const {
    return address_;
  }

  /// Returns the DEALER socket of `which` lane.
  zmq::socket_t& socket(lane which) {
    return which == lane::control ? control_ : bulk_;
  }

  /// Returns the PAIR socket that receives the control lane's monitor
  /// events.
  zmq::socket_t& monitor() {
    return monitor_;
  }

  /// Frames waiting because the socket of `which` lane was full or not
  /// connected yet.
  std::deque<pending_chunk>& pending(lane which) {
    return which == lane::control ? pending_control_ : pending_bulk_;
  }

  /// Small messages of `which` lane not yet closed into a frame.
  open_batch& batch(lane which) {
    return which == lane::control ? batch_control_ : batch_bulk_;
  }

  /// Sends one frame without blocking, copying `body`; returns false when
  /// the socket would block (not connected, or at its high-water mark).
  bool try_send(lane which, const frame_header& header, const char* body,
                std::size_t size);

  /// Sends `frame` without blocking; returns false when the socket would
  /// block. Large bodies go to ZeroMQ without a copy: ZeroMQ holds a
  /// reference to `frame.body` until its I/O thread has written them.
  bool try_send(lane which, const pending_chunk& frame);

  /// Reads one monitor event without blocking; returns nothing when none
  /// waits or the event is of no interest.
  std::optional<link_event> read_monitor_event(bool& more);

  /// Returns true at most once a minute, so that a handshake that fails
  /// at every reconnect (50 ms to 1 s apart) is logged once a minute.
  bool take_handshake_log_turn(std::chrono::steady_clock::time_point now);

  /// Sets the linger of both lanes, e.g. so that a leave notice goes out
  /// at stop.
  void set_linger(std::chrono::milliseconds control,
                  std::chrono::milliseconds bulk);

private:
  bool try_send_header(zmq::socket_t& target, const frame_header& header);

  std::string address_;
  zmq::socket_t control_;
  zmq::socket_t bulk_;
  std::string monitor_endpoint_;
  zmq::socket_t monitor_;
  std::deque<pending_chunk> pending_control_;
  std::deque<pending_chunk> pending_bulk_;
  open_batch batch_control_;
  open_batch batch_bulk_;
  std::optional<std::chrono::steady_clock::time_point> handshake_logged_;
};

} // namespace corral
