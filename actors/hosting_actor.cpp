#include "actors/hosting_actor.hpp"

#include <utility>

#include <caf/detail/sync_request_bouncer.hpp>
#include <caf/intrusive/task_result.hpp>
#include <caf/mailbox_element.hpp>

#include "actors/messages.hpp"
#include "actors/router.hpp"

namespace corral {

namespace {

// Posts `element` as a dead letter when it carries a corral cast. Moves
// the message out, because the element is dropped afterwards.
void post_if_cast(node_services& services, caf::mailbox_element& element) {
  if (element.mid.is_request())
    return;
  auto& content = element.content();
  if (!content.match_elements<message>())
    return;
  auto& msg = content.get_mutable_as<message>(0);
  if (msg.kind == message_kind::cast)
    post_unhandled_cast(services, std::move(msg));
}

// The consumer that empties a closed mailbox: casts become dead letters,
// requests get CAF's error, everything else is dropped. The variadic
// overload takes the key and queue that each level of CAF's multiplexed
// mailbox queue passes before the element, as
// caf::detail::sync_request_bouncer does.
struct exited_mailbox_drain {
  node_services& services;
  caf::detail::sync_request_bouncer bounce;

  template <class Key, class Queue, class... Ts>
  caf::intrusive::task_result operator()(const Key&, const Queue&,
                                         Ts&&... rest) {
    (*this)(std::forward<Ts>(rest)...);
    return caf::intrusive::task_result::resume;
  }

  void operator()(caf::mailbox_element& element) {
    if (element.mid.is_request())
      bounce(element);
    else
      post_if_cast(services, element);
  }
};

} // namespace

hosting_actor::hosting_actor(caf::actor_config& cfg,
                             node_services& services)
  : caf::event_based_actor(cfg), services_(&services) {
}

void hosting_actor::enqueue(caf::mailbox_element_ptr ptr,
                            caf::execution_unit* host) {
  // One atomic load on the path of every message. CAF drops a message
  // that finds the mailbox closed, after it bounces a request.
  // NOTE: a cast whose enqueue passes this check just before the mailbox
  // closes is still dropped by CAF without a dead letter, because the
  // check and CAF's push are two steps.
  if (mailbox().closed())
    post_if_cast(*services_, *ptr);
  caf::event_based_actor::enqueue(std::move(ptr), host);
}

bool hosting_actor::cleanup(caf::error&& reason, caf::execution_unit* host) {
  // CAF's cleanup empties the mailbox only when it is still open, so after
  // this block it finds nothing left to drop.
  if (!mailbox().closed()) {
    mailbox().close();
    // Messages skipped while suspended or starting wait in the caches.
    get_normal_queue().flush_cache();
    get_urgent_queue().flush_cache();
    exited_mailbox_drain drain{*services_,
                               caf::detail::sync_request_bouncer{reason}};
    while (mailbox().queue().new_round(1000, drain).consumed_items > 0) {
      // The loop ends, because every round consumes elements and the
      // closed mailbox takes no new ones.
    }
  }
  return caf::event_based_actor::cleanup(std::move(reason), host);
}

} // namespace corral
