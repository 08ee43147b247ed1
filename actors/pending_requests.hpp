#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>

#include "serialization/message.hpp"

namespace corral {

struct node_services;

/// The outstanding requests of one agent, their deadlines, and how each
/// ends: with the caller's reply handler, or with its error handler and,
/// for a timeout or an exited receiver, a dead letter holding a copy of
/// the request.
///
/// CAF can time out each request itself, but every such request arms a
/// timer on CAF's clock thread (a mutex and a condition variable per
/// request), which cost about half of the request-reply throughput in
/// corral-bench. Here CAF's requests carry no timeout; the agent keeps the
/// deadlines in a binary heap and arms one delayed message for the
/// earliest.
///
/// Requests live in slots that are reused, so that in steady state a
/// request allocates nothing here: the copy of the envelope kept for the
/// dead letter reuses the string buffers of the slot's previous request.
class pending_requests {
public:
  using clock = std::chrono::steady_clock;
  using reply_handler = std::function<void(message&)>;
  using error_handler = std::function<void(const caf::error&)>;

  /// Names one request for `finish`. A ticket of a request that has ended
  /// matches no slot, even when its slot contains a newer request.
  struct ticket {
    std::uint32_t slot = 0;
    std::uint64_t correlation_id = 0;
  };

  /// Creates an empty table whose dead letters go to `services`, which
  /// must outlive it.
  explicit pending_requests(node_services& services) : services_(services) {
  }

  pending_requests(const pending_requests&) = delete;
  pending_requests& operator=(const pending_requests&) = delete;

  /// Tracks `request` to `target` with a deadline `timeout` from now.
  /// `request.correlation_id` must differ from that of every other
  /// outstanding request of this table. Pass the returned ticket to
  /// `finish` when CAF delivers the reply or an error.
  ticket add(caf::event_based_actor* self, const message& request,
             const std::string& target, std::chrono::milliseconds timeout,
             reply_handler on_reply, error_handler on_error);

  /// Ends the request of `x` with `reply` (non-null) or `error`, unless it
  /// has already ended. Runs exactly one of its handlers, after the slot
  /// is free again, so a handler may send new requests.
  void finish(ticket x, message* reply, const caf::error& error);

  /// Ends every request whose deadline passed with a timeout error and
  /// arms the timer for the next deadline. The hosting actor calls it
  /// when it receives `deadline_atom`.
  void expire(caf::event_based_actor* self);

  /// Number of outstanding requests.
  std::size_t size() const {
    return heap_.size();
  }

private:
  struct entry {
    message request;
    std::string target;
    reply_handler on_reply;
    error_handler on_error;
    clock::time_point deadline;
    /// Position in `heap_` while the request is outstanding.
    std::size_t heap_index = 0;
    bool outstanding = false;
  };

  bool earlier(std::size_t x, std::size_t y) const {
    return entries_[heap_[x]].deadline < entries_[heap_[y]].deadline;
  }

  void place(std::size_t index, std::uint32_t slot);
  void sift_up(std::size_t index);
  void sift_down(std::size_t index);
  void remove_from_heap(std::size_t index);
  void release(std::uint32_t slot);
  void arm(caf::event_based_actor* self, clock::time_point deadline);

  node_services& services_;
  std::vector<entry> entries_;
  /// Slots of `entries_` without an outstanding request.
  std::vector<std::uint32_t> free_;
  /// Slots of outstanding requests, a min-heap on their deadlines.
  std::vector<std::uint32_t> heap_;
  bool armed_ = false;
  clock::time_point armed_for_;
};

} // namespace corral
