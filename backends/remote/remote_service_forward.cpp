// The outbound half of the remote backend's message path: messages and
// requests to agents of other nodes go straight to the cluster's send
// queue from the thread that has them. That is the sender's thread for a
// running proxy with an empty mailbox, else the proxy's or the gateway's
// (for global pids). Requests wait in the service's table for their reply.

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/log.hpp"
#include "actors/router.hpp"
#include "backends/remote/remote_service.hpp"

namespace corral::remote {

namespace {

/// Returns the dead-letter reason of a message that the cluster did not
/// accept for sending. A full send queue to the node is a full mailbox for
/// the sender, and any other error means the node cannot be reached.
dead_letter_reason dead_letter_reason_of(const failure& error) {
  return error.code == errc::resource_limit_exceeded
           ? dead_letter_reason::mailbox_full
           : dead_letter_reason::unknown_target;
}

/// Returns where the reply to the message that `self` handles goes: the
/// parts of a response promise, with `self` as the replier.
reply_address requester_of(caf::event_based_actor* self) {
  auto promise = self->make_response_promise<message>();
  return address_of(promise, caf::actor_cast<caf::strong_actor_ptr>(self));
}

} // namespace

caf::result<message>
remote_service::forward(caf::event_based_actor* self, message& msg,
                        std::chrono::milliseconds timeout) {
  // A cast gets no reply, so it needs no response promise.
  auto requester = msg.kind == message_kind::request ? requester_of(self)
                                                     : reply_address{};
  forward(msg, timeout, std::move(requester));
  return caf::delegated<message>{};
}

caf::result<message>
remote_service::forward_until(caf::event_based_actor* self,
                              remote_request& request) {
  forward_until(request, requester_of(self));
  return caf::delegated<message>{};
}

void remote_service::forward(message& msg, std::chrono::milliseconds timeout,
                             reply_address requester) {
  const auto node = msg.to.node;
  if (msg.kind != message_kind::request) {
    auto error = send(node, frame_kind::message,
                      to_binary(remote_envelope{0, 0, msg, {}}));
    if (error)
      drop_cast(msg, *error);
    return;
  }
  auto gateway = this->gateway();
  if (!gateway) {
    deliver_reply(requester,
                  caf::make_message(make_error(
                    errc::node_unreachable,
                    "node " + node
                      + " is not reachable: the cluster is stopping")));
    return;
  }
  // The request waits in the table, where the I/O thread finds it and
  // delivers its reply without a CAF hop on this node.
  auto added = requests_.add({std::move(requester), node, timeout, {}});
  // The target waits for its agent's reply as long as the requester waits
  // here, so that neither side keeps a request after its requester gave up.
  remote_envelope envelope{added.id,
                           static_cast<std::uint32_t>(timeout.count()), msg,
                           {}};
  auto error = send(node, frame_kind::message, to_binary(envelope));
  // Armed even for a request that failed: the table counts on a timer
  // being due by the deadline it armed for.
  if (added.arm)
    caf::delayed_anon_send(gateway, added.delay, timer_atom::value,
                           deadline_atom::value);
  if (!error)
    return;
  if (auto request = requests_.take(added.id))
    deliver_reply(request->reply, caf::make_message(to_error(*error)));
}

// The requester's deadline becomes the wait on both nodes, capped by the
// backend's own bound for requests.
void remote_service::forward_until(remote_request& request,
                                   reply_address requester) {
  using std::chrono::milliseconds;
  auto left = std::chrono::duration_cast<milliseconds>(
    request.deadline - std::chrono::steady_clock::now());
  if (left <= milliseconds{0}) {
    deliver_reply(requester,
                  caf::make_message(make_error(
                    errc::timeout, "the request to " + to_string(request.msg.to)
                                     + " timed out before it was sent to node "
                                     + request.msg.to.node)));
    return;
  }
  forward(request.msg, std::min(left, settings_.request_timeout),
          std::move(requester));
}

void remote_service::expire_requests() {
  auto now = outbound_requests::clock::now();
  std::optional<outbound_requests::clock::time_point> next;
  for (auto& request : requests_.take_expired(now, next))
    deliver_reply(request.reply,
                  caf::make_message(make_error(
                    errc::timeout,
                    "node " + request.node + " sent no reply within "
                      + std::to_string(request.timeout.count()) + " ms")));
  if (!next)
    return;
  auto delay = std::chrono::ceil<std::chrono::microseconds>(*next - now);
  if (auto target = gateway())
    caf::delayed_anon_send(target, delay, timer_atom::value,
                           deadline_atom::value);
}

void remote_service::drop_cast(const message& msg, const failure& error) {
  std::shared_ptr<node_services> services;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    services = services_;
  }
  if (!services)
    return;
  if (should_log(spdlog::level::debug))
    log(spdlog::level::debug, {services->node_id(), kernel_pid, "remote"},
        "dropped a cast to " + to_string(msg.to) + ": " + to_string(error));
  post_dead_letter(*services, msg, to_string(msg.to),
                   dead_letter_reason_of(error));
}

} // namespace corral::remote
