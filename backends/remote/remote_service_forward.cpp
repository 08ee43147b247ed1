// The outbound half of the remote backend's message path: messages and
// requests to agents of other nodes leave from the actor that has them
// (a proxy, or the gateway for global pids), straight to the cluster's
// send queue. Requests wait in the service's table for their reply.

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

} // namespace

caf::result<message>
remote_service::forward(caf::event_based_actor* self, message& msg,
                        std::chrono::milliseconds timeout) {
  const auto node = msg.to.node;
  if (msg.kind != message_kind::request) {
    auto error = send(node, frame_kind::message,
                      to_binary(remote_envelope{0, 0, msg, {}}));
    if (error)
      drop_cast(msg, *error);
    return caf::delegated<message>{};
  }
  auto gateway = this->gateway();
  // The request waits in the table, where the I/O thread finds it and
  // delivers its reply without a CAF hop on this node.
  auto promise = self->make_response_promise<message>();
  auto id = requests_.add(
    {address_of(promise, caf::actor_cast<caf::strong_actor_ptr>(self)), node,
     timeout});
  // The target waits for its agent's reply as long as the requester waits
  // here, so that neither side keeps a request after its requester gave up.
  remote_envelope envelope{id, static_cast<std::uint32_t>(timeout.count()),
                           msg, {}};
  auto error = gateway ? send(node, frame_kind::message, to_binary(envelope))
                       : std::optional<failure>{failure{
                         errc::node_unreachable,
                         "node " + node
                           + " is not reachable: the cluster is stopping"}};
  if (error) {
    requests_.take(id);
    promise.deliver(to_error(*error));
    return caf::delegated<message>{};
  }
  caf::delayed_anon_send(gateway, timeout, timer_atom::value,
                         deadline_atom::value, id);
  return caf::delegated<message>{};
}

// The requester's deadline becomes the wait on both nodes, capped by the
// backend's own bound for requests.
caf::result<message>
remote_service::forward_until(caf::event_based_actor* self,
                              remote_request& request) {
  using std::chrono::milliseconds;
  auto left = std::chrono::duration_cast<milliseconds>(
    request.deadline - std::chrono::steady_clock::now());
  if (left <= milliseconds{0})
    return make_error(errc::timeout,
                      "the request to " + to_string(request.msg.to)
                        + " timed out before it was sent to node "
                        + request.msg.to.node);
  return forward(self, request.msg, std::min(left, settings_.request_timeout));
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
