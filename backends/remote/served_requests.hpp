#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backends/remote/deadline_table.hpp"
#include "serialization/message.hpp"

namespace corral::remote {

/// Returns the failure reply to `request` without its payload, addressed
/// back to its sender. The error travels beside it in the envelope.
message failure_reply_to(const message& request);

/// The requests from other nodes that the cluster's I/O thread passed
/// straight to agents of this node, waiting for the agents' replies. The
/// I/O thread adds them. The thread that runs the agent's reply, or the
/// gateway at the request's deadline, takes them out and sends the reply,
/// so each request gets exactly one.
/// Thread-safe; the lock is held only for map operations.
class served_requests {
public:
  using clock = std::chrono::steady_clock;

  /// One request an agent of this node serves.
  struct entry {
    /// The requester's node, which gets the reply.
    std::string node;
    /// The id that the requester's node chose for the request.
    std::uint64_t request_id = 0;
    /// The failure reply to the request (`failure_reply_to`), sent when the
    /// agent fails or the deadline passes.
    message failure_reply;
    /// When the requester stops waiting.
    clock::time_point deadline;
  };

  /// The result of `add`: the id of the request here (the CAF request id
  /// of its delivery), and whether the gateway's timer must be armed.
  using added = deadline_table<entry>::added;

  /// Adds `request`, unless `clear` closed the table: then it returns an
  /// id of 0 and the caller drops the request.
  added add(entry request);

  /// Takes the request `id` out of the table, or returns nothing when its
  /// deadline already ended it.
  std::optional<entry> take(std::uint64_t id);

  /// Takes every request whose deadline passed at `now` out of the table.
  /// Sets `next` to the time for which the gateway's timer must be armed,
  /// or to nothing when no request is left or a timer is already due by
  /// the earliest deadline left.
  std::vector<entry> take_expired(clock::time_point now,
                                  std::optional<clock::time_point>& next);

  /// Drops every request and closes the table, for a service that
  /// detaches: its replies can no longer be sent, and each requester's own
  /// deadline ends its wait. The I/O thread may still be serving a request
  /// that it read before the detach, so `add` rejects it.
  void clear();

  /// Opens the table again, for a service that attaches.
  void open();

  /// Returns the number of requests waiting for their agent's reply.
  std::size_t size() const;

private:
  deadline_table<entry> table_;
};

} // namespace corral::remote
