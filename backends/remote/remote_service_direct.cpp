// The direct path of the remote backend. A message to an agent of this
// node, and a reply to a request of this node, costs a wake-up of an idle
// scheduler worker for every actor that it passes. The I/O thread
// therefore delivers both itself: a message straight into the agent's
// mailbox, and a reply straight to the waiting requester. The agent's
// reply goes to an actor companion, whose enqueue sends it to the
// requester's node on the agent's own thread. Everything else, and every
// case that needs a dead letter or an error, still takes the gateway.

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/log.hpp"
#include "backends/remote/remote_service.hpp"

namespace corral::remote {

// Runs on the I/O thread. Returns false, with the frame untouched, when
// the gateway must handle it: the sender is not an alive member yet (the
// gateway keeps its payloads until it is), an earlier payload of the sender is still
// with the gateway (it would be overtaken), or the message cannot be
// delivered here (dead letter and error reply).
bool remote_service::deliver_direct(inbound_frame& frame) {
  std::shared_ptr<node_services> services;
  caf::actor replier;
  caf::actor gateway;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (!gateway_ || !replier_)
      return false;
    auto member = members_.find(frame.sender);
    if (member == members_.end() || member->second != member_event_kind::up)
      return false;
    auto queued = in_gateway_.find(frame.sender);
    if (queued != in_gateway_.end() && queued->second > 0)
      return false;
    services = services_;
    replier = replier_;
    gateway = gateway_;
  }

  auto envelope = from_binary<remote_envelope>(frame.body);
  if (!envelope)
    return false;

  auto& msg = envelope->msg;
  if (msg.kind == message_kind::reply || msg.kind == message_kind::failure) {
    answer_request(frame.sender, *envelope);
    return true;
  }

  if (msg.from.node != frame.sender || msg.to.node != services->node_id())
    return false;
  auto cell = services->agents.find(msg.to.pid);
  if (cell == nullptr || !cell->actor())
    return false;
  if (msg.kind == message_kind::request) {
    serve(frame.sender, *envelope, cell->actor(), replier, gateway);
    return true;
  }
  caf::anon_send(cell->actor(), std::move(msg));
  return true;
}

// The agent gets the request from the companion with a request id of the
// served table, so that its reply (or CAF's error when the agent is gone)
// comes back to `on_agent_reply` with that id.
void remote_service::serve(const std::string& from, remote_envelope& envelope,
                           const caf::actor& agent, const caf::actor& replier,
                           const caf::actor& gateway) {
  served_requests::entry request{
    from, envelope.request_id, failure_reply_to(envelope.msg),
    served_requests::clock::now() + serve_timeout(envelope.timeout_ms)};
  if (auto full = check_serving_room()) {
    reply_failure(request, *full);
    return;
  }
  auto added = served_.add(std::move(request));
  if (added.id == 0)
    return; // The service detached meanwhile.
  if (added.arm)
    caf::delayed_anon_send(gateway, added.delay, timer_atom::value,
                           serve_atom::value);
  agent->enqueue(caf::make_mailbox_element(
                   caf::actor_cast<caf::strong_actor_ptr>(replier),
                   caf::make_message_id(added.id), {},
                   std::move(envelope.msg)),
                 nullptr);
}

// Runs on the thread that sent the response, usually the agent's worker.
void remote_service::on_agent_reply(caf::mailbox_element& element) {
  if (!element.mid.is_response())
    return;
  auto request = served_.take(element.mid.request_id().integer_value());
  if (!request)
    return; // Late: the request's deadline has passed.
  auto& content = element.content();
  if (content.match_elements<message>()) {
    // Copied: the response's content may be shared with other references.
    auto reply = remote_envelope{request->request_id, 0,
                                 content.get_as<message>(0), {}};
    send(request->node, frame_kind::message, to_binary(reply));
    return;
  }
  if (content.match_elements<caf::error>()) {
    reply_failure(*request, to_failure(content.get_as<caf::error>(0)));
    return;
  }
  reply_failure(*request,
                {errc::internal_error,
                 "agent " + to_string(request->failure_reply.from)
                   + " replied with something other than a message"});
}

std::chrono::milliseconds
remote_service::serve_timeout(std::uint32_t timeout_ms) const {
  if (timeout_ms == 0)
    return settings_.request_timeout;
  return std::min(std::chrono::milliseconds{timeout_ms},
                  settings_.request_timeout);
}

std::optional<failure> remote_service::check_serving_room() const {
  auto serving = requests_serving();
  if (serving < settings_.max_served_requests)
    return std::nullopt;
  rejected_served_.fetch_add(1);
  auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  auto last = rejected_logged_ns_.load();
  constexpr std::int64_t second_ns = 1'000'000'000;
  if (now - last >= second_ns
      && rejected_logged_ns_.compare_exchange_strong(last, now))
    log(spdlog::level::warn, {this_node(), kernel_pid, "remote"},
        "rejected " + std::to_string(rejected_served_.exchange(0))
          + " request(s) from other nodes since the last such line: "
            "agents here already serve "
          + std::to_string(serving)
          + ", the maximum (max_served_requests); find the agents that "
            "do not reply, or raise max_served_requests in the [remote] "
            "table of the node's configuration file");
  return failure{errc::resource_limit_exceeded,
                 "node " + this_node() + " already serves "
                   + std::to_string(serving)
                   + " requests from other nodes, the maximum "
                     "(max_served_requests); retry after some are answered"};
}

void remote_service::reply_failure(const served_requests::entry& request,
                                   const failure& error) const {
  auto reply = remote_envelope{request.request_id, 0, request.failure_reply,
                               error};
  send(request.node, frame_kind::message, to_binary(reply));
}

void remote_service::expire_served() {
  auto now = served_requests::clock::now();
  std::optional<served_requests::clock::time_point> next;
  for (const auto& request : served_.take_expired(now, next))
    reply_failure(request,
                  {errc::timeout,
                   "agent " + to_string(request.failure_reply.from)
                     + " did not reply before the requester's deadline"});
  if (!next)
    return;
  // Rounded up, as in deadline_table::add: a timer that fired before the
  // deadline would find nothing due and, still counted as armed, not re-arm.
  auto delay = std::chrono::ceil<std::chrono::microseconds>(*next - now);
  if (auto target = gateway())
    caf::delayed_anon_send(target, delay, timer_atom::value,
                           serve_atom::value);
}

void remote_service::answer_request(const std::string& from,
                                    remote_envelope& envelope) {
  auto request = requests_.take_from(envelope.request_id, from);
  if (!request)
    return; // Late: the request already timed out here.
  if (envelope.msg.kind == message_kind::failure)
    deliver_reply(request->reply,
                  caf::make_message(to_error(envelope.error.value_or(
                    failure{errc::internal_error,
                            "node " + from
                              + " sent a failure without an error"}))));
  else
    deliver_reply(request->reply, caf::make_message(std::move(envelope.msg)));
}

void remote_service::payloads_handled(const std::string& node,
                                      std::size_t count) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto queued = in_gateway_.find(node);
  if (queued == in_gateway_.end())
    return;
  queued->second -= std::min(queued->second, count);
  if (queued->second == 0)
    in_gateway_.erase(queued);
}

void remote_service::fail_all_requests() {
  for (auto& request : requests_.take_all())
    deliver_reply(request.reply,
                  caf::make_message(make_error(
                    errc::node_unreachable,
                    "the request to node " + request.node
                      + " got no reply: the cluster of this node stopped")));
}

} // namespace corral::remote
