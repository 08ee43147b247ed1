#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "backends/tee/protocol.hpp"
#include "backends/tee/sealed_send.hpp"
#include "backends/tee/secure_channel.hpp"
#include "backends/tee/shared_ring.hpp"

namespace corral::tee {

/// The enclave host's end of the sealed channel. Every sealed frame goes
/// through the rings, and the socket carries the doorbells.
class host_channel {
public:
  /// Seals with `cipher` under `keys` and uses socket `fd` and the rings in
  /// `memory`.
  host_channel(int fd, const shared_ring_memory& memory,
               channel_cipher cipher, const session_keys& keys);

  /// Seals and sends `frame`. A frame too large for the channel is not
  /// sent, and the channel stays usable. Exits the process (status 3) when
  /// the ring is invalid or every frame number is used.
  send_status send(const channel_frame& frame);

  /// Reads, opens and decodes the next frame. Exits the process when the
  /// proxy closed the channel (status 0), or a frame is rejected or the
  /// ring is invalid (status 3), because the host has no one else to
  /// report to.
  channel_frame receive();

  /// Sends `frame` with its sealed bytes changed in one bit (test fault).
  bool send_tampered(const channel_frame& frame);

  /// Sends `frame`, then the same sealed bytes again (test fault).
  bool send_twice(const channel_frame& frame);

  /// Seals `frame` twice and sends only the second, as if the first had
  /// been dropped on the way (test fault).
  bool send_skipping(const channel_frame& frame);

  /// Publishes a write index beyond the ring's size (test fault).
  void corrupt_index();

  /// Publishes a frame whose length exceeds `max_frame_bytes` (test
  /// fault).
  void corrupt_length();

private:
  bool write_sealed(const std::string& sealed);

  int fd_;
  channel_sealer sealer_;
  channel_opener opener_;
  ring_producer to_proxy_;
  ring_consumer to_host_;
  ring_waiter wait_for_room_;
  ring_waiter wait_for_data_;
};

} // namespace corral::tee
