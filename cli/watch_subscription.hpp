#pragma once

#include <memory>
#include <mutex>

#include <caf/actor.hpp>

#include "actors/node.hpp"
#include "net/control_stream.hpp"

namespace corral::cli {

/// One `watch` request: a CAF actor subscribed to the node's state changes
/// that posts each one into a control stream as
/// {"event":"state_change","change":{...}}. Thread-safe.
class watch_subscription {
public:
  /// Prepares a subscription to `target`, which must outlive it.
  explicit watch_subscription(node& target) : node_(target) {
  }

  /// Spawns the forwarding actor and subscribes it. Does nothing when
  /// `stop` already ran, so a stream that closed early leaves no actor.
  void start(std::shared_ptr<control_stream> stream);

  /// Unsubscribes and ends the forwarding actor; safe before `start` and
  /// more than once. Use it as the stream's close callback.
  void stop();

private:
  node& node_;
  std::mutex mutex_;
  caf::actor forwarder_;
  bool stopped_ = false;
};

} // namespace corral::cli
