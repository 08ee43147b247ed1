#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>

#include "serialization/message.hpp"

namespace corral {

/// The outstanding requests of one agent and their deadlines.
///
/// CAF can time out each request itself, but every such request arms a
/// timer on CAF's clock thread (a mutex and a condition variable per
/// request), which cost about half of the request-reply throughput in
/// corral-bench. Here CAF's requests carry no timeout; the agent keeps the
/// deadlines in order and arms one delayed message for the earliest.
class pending_requests {
public:
  using clock = std::chrono::steady_clock;

  /// What happens when a request ends; exactly one call per request.
  using completion = std::function<void(message*, const caf::error&)>;

  /// One outstanding request; shared with CAF's response handlers.
  struct call {
    bool done = false;
    completion complete;
    std::multimap<clock::time_point, std::shared_ptr<call>>::iterator
      position;
  };

  /// Tracks a new request whose deadline is `timeout` from now. The
  /// returned call must be passed to `finish` when the reply arrives.
  std::shared_ptr<call> add(caf::event_based_actor* self,
                            std::chrono::milliseconds timeout,
                            completion complete);

  /// Completes `x` with a reply (non-null) or an error, unless its deadline
  /// has already completed it.
  void finish(const std::shared_ptr<call>& x, message* reply,
              const caf::error& error);

  /// Completes every request whose deadline passed with a timeout error
  /// and arms the timer for the next deadline. The hosting actor calls it
  /// when it receives `deadline_atom`.
  void expire(caf::event_based_actor* self);

  /// Number of outstanding requests.
  std::size_t size() const {
    return deadlines_.size();
  }

private:
  void arm(caf::event_based_actor* self, clock::time_point deadline);

  std::multimap<clock::time_point, std::shared_ptr<call>> deadlines_;
  bool armed_ = false;
  clock::time_point armed_for_;
};

} // namespace corral
