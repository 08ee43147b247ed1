// Control operations on agents of other nodes (stop, restart, suspend,
// resume, inspect, monitor, link and their undoing). The caller side sends
// a `control` frame and waits for its `control_reply`. The target side
// runs the operation with its kernel and replies.

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "backends/remote/remote_gateway.hpp"
#include "backends/remote/remote_service.hpp"

namespace corral::remote {

namespace {

/// Creates an empty reply to control `id`; the caller sets the result or
/// the error.
remote_control_reply reply_for(std::uint64_t id) {
  remote_control_reply reply;
  reply.request_id = id;
  return reply;
}

} // namespace

// -- caller side ---------------------------------------------------------------

caf::result<remote_control_reply>
remote_gateway::send_control(const global_pid& agent,
                             remote_control& control) {
  // Ending a monitor or link needs no reply: the record goes at once, and
  // the other node drops its own when the frame arrives.
  if (control.op == control_op::demonitor || control.op == control_op::unlink) {
    auto kind = control.op == control_op::demonitor ? signal_kind::down
                                                     : signal_kind::exit;
    watches_.erase(std::remove_if(watches_.begin(), watches_.end(),
                                  [&](const remote_watch& x) {
                                    return x.kind == kind
                                           && x.local == control.peer
                                           && x.remote == agent;
                                  }),
                   watches_.end());
    count_watches();
    control.request_id = 0;
    send_body(agent.node, frame_kind::control, control);
    return reply_for(0);
  }
  auto id = next_id_++;
  control.request_id = id;
  if (auto error = service_->send(agent.node, frame_kind::control,
                                  to_binary(control)))
    return to_error(*error);
  auto promise = make_response_promise();
  controls_[id] = pending_control{promise, agent, control};
  auto timeout = service_->settings().request_timeout;
  if (control.op == control_op::stop || control.op == control_op::restart)
    timeout += std::chrono::milliseconds{
      control.op == control_op::stop ? control.grace_ms
                                     : services_->config.default_grace_ms};
  delayed_send(this, timeout, timer_atom::value, control_atom::value, id);
  return caf::delegated<remote_control_reply>{};
}

void remote_gateway::expire_control(std::uint64_t id) {
  auto i = controls_.find(id);
  if (i == controls_.end())
    return;
  auto& pending = i->second;
  pending.promise.deliver(make_error(
    errc::timeout, "node " + pending.agent.node + " did not answer the "
                     + to_string(pending.control.op) + " of agent "
                     + to_string(pending.agent) + " in time"));
  controls_.erase(i);
}

void remote_gateway::on_control_reply(const std::string& from,
                                      remote_control_reply& reply) {
  auto i = controls_.find(reply.request_id);
  if (i == controls_.end() || i->second.agent.node != from)
    return; // Late: the operation already timed out here.
  auto pending = std::move(i->second);
  controls_.erase(i);
  if (reply.error) {
    pending.promise.deliver(to_error(*reply.error));
    return;
  }
  switch (pending.control.op) {
    case control_op::monitor:
    case control_op::link:
      add_watch(pending.agent, pending.control);
      break;
    case control_op::restart:
      follow_restart(pending.agent, reply.spawned.global);
      break;
    default:
      break;
  }
  pending.promise.deliver(std::move(reply));
}

// A proxy of the restarted agent forwards to its new pid from now on.
void remote_gateway::follow_restart(const global_pid& old,
                                    const global_pid& now) {
  auto key = proxy_of_.find(to_string(old));
  if (key == proxy_of_.end())
    return;
  auto address = key->second;
  proxy_of_.erase(key);
  auto i = proxies_.find(address);
  if (i == proxies_.end())
    return;
  i->second.remote = now;
  proxy_of_[to_string(now)] = address;
  send(i->second.proxy, restart_atom::value, now);
}

void remote_gateway::fail_controls_to(const std::string& node,
                                      const std::string& detail) {
  for (auto i = controls_.begin(); i != controls_.end();) {
    if (i->second.agent.node != node) {
      ++i;
      continue;
    }
    i->second.promise.deliver(make_error(
      errc::node_unreachable, "the " + to_string(i->second.control.op)
                                + " of agent " + to_string(i->second.agent)
                                + " got no answer: " + detail));
    i = controls_.erase(i);
  }
}

// -- target side ---------------------------------------------------------------

// Cluster members authenticate each other (CurveZMQ), so any member may
// stop, suspend, resume and inspect this node's agents, as an operator on
// this node may. Only restart of an agent spawned for another node is
// kept for that node (see restart_for).
void remote_gateway::on_control(const std::string& from,
                                const remote_control& control) {
  switch (control.op) {
    case control_op::monitor:
    case control_op::demonitor:
    case control_op::link:
    case control_op::unlink:
      on_watch_control(from, control);
      return;
    case control_op::restart:
      restart_for(from, control);
      return;
    default:
      break;
  }
  auto id = control.request_id;
  auto target = to_string(global_pid{services_->node_id(), control.target});
  auto on_error = [this, from, id](caf::error& error) {
    reply_control_error(from, id, error);
  };
  const auto& kernel = services_->kernel;
  switch (control.op) {
    case control_op::stop:
      request(kernel, caf::infinite, stop_atom::value, target,
              stop_options{control.immediate, control.grace_ms})
        .then(
          [this, from, id](exit_reason& reason) {
            auto reply = reply_for(id);
            reply.exit = std::move(reason);
            reply_control(from, std::move(reply));
          },
          on_error);
      break;
    case control_op::suspend:
    case control_op::resume: {
      auto ok = [this, from, id]() { reply_ok(from, id); };
      if (control.op == control_op::suspend)
        request(kernel, caf::infinite, suspend_atom::value, target)
          .then(ok, on_error);
      else
        request(kernel, caf::infinite, resume_atom::value, target)
          .then(ok, on_error);
      break;
    }
    case control_op::inspect:
      request(kernel, caf::infinite, inspect_atom::value, target)
        .then(
          [this, from, id](process_info& info) {
            auto reply = reply_for(id);
            reply.process = std::move(info);
            reply_control(from, std::move(reply));
          },
          on_error);
      break;
    default:
      reply_control_error(from, id,
                          make_error(errc::invalid_request,
                                     "node " + services_->node_id()
                                       + " does not handle control operation "
                                       + to_string(control.op)));
  }
}

// An agent spawned for another node restarts only at that node's request:
// that node's proxy must follow the new pid, and its supervisor owns the
// agent's restarts.
void remote_gateway::restart_for(const std::string& from,
                                 const remote_control& control) {
  auto id = control.request_id;
  auto pid = control.target;
  auto owned = std::find_if(owned_.begin(), owned_.end(), [&](const auto& x) {
    return x.second.agent.pid == pid;
  });
  if (owned != owned_.end() && owned->second.owner != from) {
    reply_control_error(
      from, id,
      make_error(errc::invalid_request,
                 "agent " + to_string(owned->second.agent)
                   + " was spawned for node " + owned->second.owner
                   + ", whose supervisor restarts it; restart it from node "
                   + owned->second.owner + " through its proxy there"));
    return;
  }
  bool for_owner = owned != owned_.end();
  if (for_owner)
    owned->second.restarting = true;
  auto target = to_string(global_pid{services_->node_id(), pid});
  request(services_->kernel, caf::infinite, restart_atom::value, target)
    .then(
      [this, from, id, for_owner](spawn_result& result) {
        if (for_owner) {
          if (auto cell = services_->agents.find(result.pid)) {
            monitor(cell->actor());
            owned_[cell->actor().address()] = owned_agent{from, result.global};
          }
        }
        auto reply = reply_for(id);
        reply.spawned = result;
        reply_control(from, std::move(reply));
      },
      [this, from, id, pid, for_owner](caf::error& error) {
        reply_control_error(from, id, error);
        if (for_owner)
          end_restart(from, pid, error);
      });
}

// A failed restart of an owned agent: if the old agent is gone, its
// proxy must learn that now, because its exit was held back.
void remote_gateway::end_restart(const std::string& from, pid_type pid,
                                 const caf::error& error) {
  if (services_->agents.find(pid) != nullptr) {
    // Still running: nothing changed.
    for (auto& entry : owned_)
      if (entry.second.agent.pid == pid)
        entry.second.restarting = false;
    return;
  }
  send_body(from, frame_kind::monitor_down,
            remote_down{global_pid{services_->node_id(), pid},
                        exit_reason{exit_kind::backend_failure,
                                    "restart on node " + services_->node_id()
                                      + " failed: " + describe(error)}});
}

void remote_gateway::reply_control(const std::string& to,
                                   remote_control_reply reply) {
  if (reply.request_id != 0)
    send_body(to, frame_kind::control_reply, reply);
}

void remote_gateway::reply_ok(const std::string& to, std::uint64_t id) {
  reply_control(to, reply_for(id));
}

void remote_gateway::reply_control_error(const std::string& to,
                                         std::uint64_t id,
                                         const caf::error& error) {
  auto reply = reply_for(id);
  reply.error = to_failure(error);
  reply_control(to, std::move(reply));
}

} // namespace corral::remote
