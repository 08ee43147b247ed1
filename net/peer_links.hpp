#pragma once

#include <string>

#include "serialization/wire_frame.hpp"

namespace corral {

/// A change of the control connection to a peer, from ZeroMQ's socket
/// monitor.
enum class link_event {
  /// The connection and ZeroMQ's handshake succeeded.
  connected,
  /// An established connection dropped, e.g. because the peer died.
  disconnected,
  /// The CurveZMQ handshake failed without a status from the peer: most
  /// often the public key given for the peer is not the peer's own.
  handshake_failed,
  /// The peer refused this node's public key in the handshake, because
  /// its peer keys do not list it.
  key_refused,
};

/// The I/O thread's view of the connections to peers, as membership uses
/// it. `cluster_transport` implements it; tests fake it. Every function
/// runs on the I/O thread and never blocks.
class peer_links {
public:
  virtual ~peer_links() = default;

  /// Opens the connections of both lanes to `address` under the name
  /// `peer`, replacing an open one of that name. ZeroMQ reconnects by
  /// itself after a drop.
  virtual void open_link(const std::string& peer,
                         const std::string& address) = 0;

  /// Closes the connections named `peer` and drops what waits for them.
  virtual void close_link(const std::string& peer) = 0;

  /// Sends a control-lane frame to `peer` now, or returns false when the
  /// link is unknown, not connected or full. Membership frames are not
  /// queued, because a newer one replaces a lost one.
  virtual bool send_control(const std::string& peer, frame_kind kind,
                            const std::string& body) = 0;
};

} // namespace corral
