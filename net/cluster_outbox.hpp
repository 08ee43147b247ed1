#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "serialization/errc.hpp"
#include "serialization/wire_frame.hpp"

namespace corral {

/// A message that some thread asked the transport to send.
struct outbound_message {
  /// The link name: a node id.
  std::string peer;
  corral::lane lane = lane::bulk;
  std::uint8_t kind = 0;
  std::string body;
};

/// Hands messages from any thread to the I/O thread: a queue under a mutex
/// and an eventfd that the I/O thread polls. A push wakes the I/O thread
/// only when the queue was empty, so a burst costs one wake-up, and never
/// when the I/O thread pushes itself, because it takes the queue before it
/// polls again. It counts the bytes waiting for each peer, from `push`
/// until the I/O thread gives them to ZeroMQ or drops them. A push beyond
/// the limit fails, so that a dead or slow peer makes senders fail instead
/// of block.
class cluster_outbox {
public:
  /// Creates the eventfd; throws std::system_error when that fails.
  explicit cluster_outbox(std::size_t max_queued_bytes_per_peer);
  ~cluster_outbox();

  cluster_outbox(const cluster_outbox&) = delete;
  cluster_outbox& operator=(const cluster_outbox&) = delete;

  /// Returns the eventfd, readable while messages wait or after `wake`.
  int wakeup_fd() const {
    return wakeup_fd_;
  }

  /// Queues `message`. Fails with node_unreachable when no link to its
  /// peer is open, and with resource_limit_exceeded when the peer's queue
  /// would exceed its limit.
  std::optional<failure> push(outbound_message message);

  /// Names the thread that calls `take`; its own pushes skip the eventfd.
  void set_consumer(std::thread::id consumer);

  /// Moves every queued message to the end of `out`. Clears the eventfd
  /// first when `clear_wakeup` is set, i.e. after the poll reported it.
  /// I/O thread only.
  void take(std::vector<outbound_message>& out, bool clear_wakeup);

  /// Marks `bytes` of `peer`'s messages as sent or dropped.
  void release(const std::string& peer, std::size_t bytes);

  /// Opens or closes `peer` for `push`. Closing drops its byte count.
  void set_open(const std::string& peer, bool open);

  /// Makes the eventfd readable, e.g. to stop the I/O thread.
  void wake();

private:
  std::size_t max_queued_bytes_per_peer_;
  int wakeup_fd_ = -1;
  std::atomic<std::thread::id> consumer_{};
  std::mutex mutex_;
  std::vector<outbound_message> queue_;
  /// Open peers and the bytes waiting for each.
  std::map<std::string, std::size_t> queued_bytes_;
};

} // namespace corral
