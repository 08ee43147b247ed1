#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include <zmq.hpp>

namespace corral {

/// One reply or stream frame for the control endpoint's I/O thread to send.
struct outgoing_frame {
  /// ZeroMQ routing id of the client (the ROUTER's first frame).
  std::string identity;
  /// True when the client sent an empty delimiter frame (a REQ socket), so
  /// that the reply carries one too.
  bool delimiter = false;
  /// JSON text.
  std::string body;
  /// Id of the stream this frame belongs to, or 0 for a plain reply.
  std::uint64_t stream = 0;
};

/// Frames that handler threads and stream producers hand to the I/O thread,
/// which owns the ROUTER socket. Producers push under a mutex. The first
/// push into an empty queue also sends an empty frame on an inproc PAIR
/// socket, which wakes the I/O thread from its poll. The PAIR socket is
/// only used under the mutex, which gives ZeroMQ the memory barrier it
/// requires when a socket is used from several threads.
///
/// NOTE: the queue has no size limit. The I/O thread drains it on every
/// wakeup and never blocks on a client, so it only grows while the
/// producers outpace that thread.
class control_outbox {
public:
  /// Connects the wakeup socket to `wakeup_endpoint`, where the I/O thread
  /// has bound its PAIR socket.
  control_outbox(zmq::context_t& context, const std::string& wakeup_endpoint);

  /// Queues `frame`. Returns false, dropping it, after `close`.
  bool push(outgoing_frame frame);

  /// Removes and returns every queued frame. Called by the I/O thread.
  std::deque<outgoing_frame> take();

  /// Wakes the I/O thread without a frame, e.g. to make it notice a stop.
  void wake();

  /// Drops queued frames, rejects later pushes and closes the wakeup
  /// socket. Must run before the ZeroMQ context is destroyed.
  void close();

private:
  void wake_locked();

  std::mutex mutex_;
  std::deque<outgoing_frame> frames_;
  std::optional<zmq::socket_t> wakeup_;
  bool closed_ = false;
};

} // namespace corral
