#pragma once

#include <caf/event_based_actor.hpp>

#include "actors/node_services.hpp"

namespace corral {

/// The base of the CAF actors that host agents (native, Wasm, Container,
/// Tee). When its agent exits, the casts (corral `message`s of kind cast)
/// left in the actor's mailbox go to the node's dead-letter queue with
/// reason `exited_target`. So do the casts that reach the closed mailbox
/// later. CAF 0.17 would drop both silently. Requests get CAF's error
/// (`request_receiver_down`), and the actor's own messages (timers,
/// slices, control atoms) are dropped as before.
class hosting_actor : public caf::event_based_actor {
public:
  /// Creates the actor. `services` must outlive it; the derived classes
  /// keep it alive through their agent_context.
  hosting_actor(caf::actor_config& cfg, node_services& services);

  using caf::event_based_actor::enqueue;

  /// Enqueues `ptr`, or posts it as a dead letter when it is a cast and
  /// the mailbox has been closed.
  void enqueue(caf::mailbox_element_ptr ptr,
               caf::execution_unit* host) override;

  /// Closes the mailbox, posts the casts left in it as dead letters,
  /// bounces the requests left in it, then runs CAF's cleanup. CAF calls
  /// it after `on_exit`.
  bool cleanup(caf::error&& reason, caf::execution_unit* host) override;

private:
  node_services* services_;
};

} // namespace corral
