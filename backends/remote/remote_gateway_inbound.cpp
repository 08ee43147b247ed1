// The target side of the gateway: payload messages from other nodes,
// spawns on their behalf, delivery of their messages, and stops.

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/router.hpp"
#include "backends/remote/remote_gateway.hpp"
#include "backends/remote/remote_service.hpp"

namespace corral::remote {

namespace {

/// Decodes `body` as a `Body`, or logs why it cannot.
template <class Body>
std::optional<Body> decode(const inbound_payload& payload,
                           const std::string& node_id) {
  auto decoded = from_binary<Body>(payload.body);
  if (decoded)
    return std::move(*decoded);
  // NOTE: not rate-limited; only members can send these, and the transport
  // already rate-limits the frames it rejects itself.
  log(spdlog::level::warn, {node_id, kernel_pid, "remote"},
      "dropped a " + kind_name(payload.kind) + " message from node "
        + payload.from_node + ": " + decoded.error().detail);
  return std::nullopt;
}

/// Sends `kernel` a stop of agent `pid` with no sender, so that the
/// kernel's reply goes nowhere. In CAF 0.17.6 the member `anon_send` of an
/// actor names that actor as the sender. The exit reason would then reach
/// the gateway, which has no handler for it, and CAF's default handler
/// would send the kernel an unexpected_message error in return.
void stop_agent(const caf::actor& kernel, pid_type pid, stop_options options) {
  caf::anon_send(kernel, stop_atom::value, std::to_string(pid), options);
}

} // namespace

void remote_gateway::on_payload(inbound_payload& payload) {
  if (hold_until_up(payload))
    return;
  handle_payload(payload);
  service_->payloads_handled(payload.from_node, 1);
}

void remote_gateway::handle_payload(inbound_payload& payload) {
  const auto& from = payload.from_node;
  const auto& self = services_->node_id();
  switch (static_cast<frame_kind>(payload.kind)) {
    case frame_kind::spawn:
      if (auto body = decode<remote_spawn>(payload, self))
        on_spawn(from, *body);
      break;
    case frame_kind::spawn_reply:
      if (auto body = decode<remote_spawn_reply>(payload, self))
        on_spawn_reply(from, *body);
      break;
    case frame_kind::message:
      if (auto body = decode<remote_envelope>(payload, self))
        on_message(from, *body);
      break;
    case frame_kind::monitor_down:
      if (auto body = decode<remote_down>(payload, self))
        on_remote_down(from, *body);
      break;
    case frame_kind::stop:
      if (auto body = decode<remote_stop>(payload, self))
        on_stop(from, *body);
      break;
    case frame_kind::control:
      if (auto body = decode<remote_control>(payload, self))
        on_control(from, *body);
      break;
    case frame_kind::control_reply:
      if (auto body = decode<remote_control_reply>(payload, self))
        on_control_reply(from, *body);
      break;
    case frame_kind::signal:
      if (auto body = decode<remote_signal>(payload, self))
        on_signal(from, *body);
      break;
    case frame_kind::publish:
      if (auto body = decode<remote_publish>(payload, self))
        on_publish(from, *body);
      break;
    case frame_kind::module_request:
      if (auto body = decode<remote_module_request>(payload, self))
        on_module_request(from, *body);
      break;
    case frame_kind::module_data:
      if (auto body = decode<remote_module_data>(payload, self))
        on_module_data(from, *body);
      break;
    default:
      log(spdlog::level::warn,
          "dropped a " + kind_name(payload.kind) + " message from node "
            + from + ": this version does not handle that kind");
  }
}

caf::error remote_gateway::check_spawn(const std::string& from,
                                       const spawn_request& request) const {
  if (std::holds_alternative<remote_backend>(request.backend))
    return make_error(errc::invalid_request,
                      "node " + from + " asked node " + services_->node_id()
                        + " to spawn agent " + request.agent_id
                        + " with backend Remote; the target node runs the "
                          "inner backend itself");
  return {};
}

void remote_gateway::on_spawn(const std::string& from, remote_spawn& spawn) {
  auto id = spawn.request_id;
  if (auto error = check_spawn(from, spawn.request)) {
    reply_spawn(from, {id, to_failure(error), {}});
    return;
  }
  if (await_module(from, id, spawn.request))
    return;
  spawn_for(from, id, std::move(spawn.request), {});
}

// `fresh_module` is the hash of a module received for this spawn alone. A
// spawn that fails with spawn_failed (e.g. the module does not validate)
// drops those bytes again.
void remote_gateway::spawn_for(const std::string& from, std::uint64_t id,
                               spawn_request request,
                               const std::string& fresh_module) {
  // The spawning node's kernel supervises the proxy and restarts it with a
  // new remote spawn, so this node must not restart the agent as well, and
  // its parent pid means nothing here.
  request.parent_pid.reset();
  request.restart = restart_type::temporary;
  this->request(services_->kernel, caf::infinite, spawn_atom::value,
                std::move(request))
    .then(
      [this, from, id](spawn_result& result) { adopt(from, id, result); },
      [this, from, id, fresh_module](caf::error& error) {
        auto failed = to_failure(error);
        if (!fresh_module.empty() && failed.code == errc::spawn_failed)
          services_->modules.erase(fresh_module);
        reply_spawn(from, {id, std::move(failed), {}});
      });
}

// Watches the new agent for its owner before confirming the spawn, so the
// owner learns of every exit that follows.
void remote_gateway::adopt(const std::string& from, std::uint64_t id,
                           const spawn_result& result) {
  auto cell = services_->agents.find(result.pid);
  if (cell == nullptr) {
    reply_spawn(from, {id,
                       failure{errc::spawn_failed,
                               "agent " + result.agent_id + " (pid "
                                 + std::to_string(result.pid)
                                 + ") exited at once on node "
                                 + services_->node_id()},
                       {}});
    return;
  }
  monitor(cell->actor());
  owned_[cell->actor().address()] = owned_agent{from, result.global};
  log(spdlog::level::debug, "spawned agent " + result.agent_id + " as "
                              + to_string(result.global) + " for node "
                              + from);
  if (!send_body(from, frame_kind::spawn_reply,
                 remote_spawn_reply{id, std::nullopt, result})) {
    // The owner cannot learn of the agent, so nothing would ever stop it.
    owned_.erase(cell->actor().address());
    stop_agent(services_->kernel, result.pid, stop_options{true, 0});
  }
}

void remote_gateway::reply_spawn(const std::string& to,
                                 remote_spawn_reply reply) {
  if (reply.error)
    log(spdlog::level::info, "spawn for node " + to
                               + " failed: " + to_string(*reply.error));
  send_body(to, frame_kind::spawn_reply, reply);
}

void remote_gateway::on_message(const std::string& from,
                                remote_envelope& envelope) {
  auto& msg = envelope.msg;
  if (msg.kind == message_kind::reply || msg.kind == message_kind::failure) {
    service_->answer_request(from, envelope);
    return;
  }
  auto target = to_string(msg.to);
  // The sender's node checked the sender's capabilities; this node can
  // only check that the sender is one of that node's agents.
  if (msg.from.node != from) {
    post_dead_letter(*services_, msg, target,
                     dead_letter_reason::capability_denied);
    if (msg.kind == message_kind::request)
      reply_failure(from, envelope.request_id, failure_reply_to(msg),
                    {errc::capability_denied,
                     "node " + from + " sent a message as "
                       + to_string(msg.from)
                       + "; a node may send only as its own agents"});
    return;
  }
  std::shared_ptr<agent_cell> cell;
  if (msg.to.node == services_->node_id())
    cell = services_->agents.find(msg.to.pid);
  if (cell == nullptr) {
    post_dead_letter(*services_, msg, target,
                     dead_letter_reason::unknown_target);
    if (msg.kind == message_kind::request)
      reply_failure(from, envelope.request_id, failure_reply_to(msg),
                    {errc::process_not_found,
                     "no live agent " + target + " on node "
                       + services_->node_id()});
    return;
  }
  if (msg.kind == message_kind::request) {
    deliver_request(from, envelope, cell->actor());
    return;
  }
  send(cell->actor(), std::move(msg));
}

// The agent has until the requester's deadline, which the sender sent as
// `timeout_ms`, capped by this node's own bound. After it, no requester
// waits for the reply.
void remote_gateway::deliver_request(const std::string& from,
                                     remote_envelope& envelope,
                                     const caf::actor& receiver) {
  auto id = envelope.request_id;
  // Only the addresses are kept for an error reply, not the payload, which
  // may be many MiB on this path.
  auto failed = failure_reply_to(envelope.msg);
  if (auto full = service_->check_serving_room()) {
    reply_failure(from, id, failed, *full);
    return;
  }
  auto timeout = service_->serve_timeout(envelope.timeout_ms);
  ++serving_;
  count_serving();
  request(receiver, timeout, std::move(envelope.msg))
    .then(
      [this, from, id](message& reply) {
        --serving_;
        count_serving();
        send_body(from, frame_kind::message,
                  remote_envelope{id, 0, std::move(reply), {}});
      },
      [this, from, id, failed](caf::error& error) {
        --serving_;
        count_serving();
        reply_failure(from, id, failed, to_failure(error));
      });
}

void remote_gateway::reply_failure(const std::string& to, std::uint64_t id,
                                   const message& failed,
                                   const failure& error) {
  send_body(to, frame_kind::message, remote_envelope{id, 0, failed, error});
}

// Only the node that spawned an agent may stop it: other members address
// it by messages alone.
void remote_gateway::on_stop(const std::string& from, const remote_stop& stop) {
  for (const auto& [address, owned] : owned_) {
    if (owned.owner != from || owned.agent.pid != stop.pid)
      continue;
    stop_agent(services_->kernel, stop.pid,
               stop_options{stop.immediate, stop.grace_ms});
    return;
  }
  log(spdlog::level::info, "ignored a stop of pid " + std::to_string(stop.pid)
                             + " from node " + from
                             + ": that node did not spawn a live agent with "
                               "this pid here");
}

// Children do not outlive their parent: an agent spawned for a node that
// went down or left has no proxy and no supervisor any more.
void remote_gateway::stop_owned_by(const std::string& node,
                                   const std::string& event) {
  for (auto i = owned_.begin(); i != owned_.end();) {
    if (i->second.owner != node) {
      ++i;
      continue;
    }
    log(spdlog::level::info, "stopping agent " + to_string(i->second.agent)
                               + ": node " + node + ", which spawned it, is "
                               + event);
    stop_agent(services_->kernel, i->second.agent.pid,
               stop_options{false, services_->config.default_grace_ms});
    i = owned_.erase(i);
  }
}

} // namespace corral::remote
