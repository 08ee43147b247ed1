// Monitors and links between agents of different nodes, and topics across
// nodes. Both gateways keep a record of each monitor or link: the watcher's
// node to deliver the signal and to clean up when the watcher exits, the
// watched agent's node to send the signal when that agent exits. A signal
// frame ends the record on both sides; a node going down ends every record
// with that node, as node_down.

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "backends/remote/remote_gateway.hpp"
#include "backends/remote/remote_service.hpp"

namespace corral::remote {

namespace {

signal_kind kind_of(control_op op) {
  return op == control_op::monitor || op == control_op::demonitor
           ? signal_kind::down
           : signal_kind::exit;
}

/// Delivers a signal about agent `source` of another node to a local agent,
/// with the source's pid there and its global pid as the agent_id.
void deliver(caf::event_based_actor* self, const agent_cell& to,
             signal_kind kind, const global_pid& source,
             const exit_reason& reason) {
  if (kind == signal_kind::down)
    self->send(to.actor(), down_notice{source.pid, to_string(source), reason});
  else if (reason.kind != exit_kind::normal)
    // As for local links, a normal exit ends the link without a signal.
    self->send(to.actor(), exit_signal{source.pid, to_string(source), reason});
}

} // namespace

bool remote_gateway::owned_by(const std::string& node, pid_type pid) const {
  return std::any_of(owned_.begin(), owned_.end(), [&](const auto& x) {
    return x.second.owner == node && x.second.agent.pid == pid;
  });
}

void remote_gateway::count_watches() {
  service_->count_watch_records(watches_.size() + foreign_.size());
}

void remote_gateway::watch_agent(const caf::actor& actor, pid_type pid) {
  if (watched_.emplace(actor.address(), pid).second)
    monitor(actor);
}

// The node confirmed the monitor or link; from now on its signal for that
// agent finds this record.
void remote_gateway::add_watch(const global_pid& agent,
                               const remote_control& control) {
  auto kind = kind_of(control.op);
  auto local = services_->agents.find(control.peer);
  if (local == nullptr) {
    // The watcher exited meanwhile: undo the record on the other node.
    remote_control undo;
    undo.op = kind == signal_kind::down ? control_op::demonitor
                                        : control_op::unlink;
    undo.target = agent.pid;
    undo.peer = control.peer;
    send_body(agent.node, frame_kind::control, undo);
    return;
  }
  // Links and monitors are sets, as local ones are.
  for (const auto& x : watches_)
    if (x.kind == kind && x.local == control.peer && x.remote == agent)
      return;
  watches_.push_back(remote_watch{kind, control.peer, agent});
  watch_agent(local->actor(), local->pid);
  count_watches();
}

void remote_gateway::on_watch_control(const std::string& from,
                                      const remote_control& control) {
  auto kind = kind_of(control.op);
  auto id = control.request_id;
  auto same = [&](const foreign_watch& x) {
    return x.kind == kind && x.node == from && x.peer == control.peer
           && x.target == control.target;
  };
  if (control.op == control_op::demonitor || control.op == control_op::unlink) {
    foreign_.erase(std::remove_if(foreign_.begin(), foreign_.end(), same),
                   foreign_.end());
    count_watches();
    reply_ok(from, id);
    return;
  }
  if (auto cell = services_->agents.find(control.target)) {
    if (std::none_of(foreign_.begin(), foreign_.end(), same))
      foreign_.push_back(foreign_watch{kind, from, control.peer,
                                       control.target});
    watch_agent(cell->actor(), cell->pid);
    count_watches();
    reply_ok(from, id);
    return;
  }
  // Not live: an agent that exited signals at once with its exit reason,
  // as a local one does; an unknown pid is an error.
  auto source = global_pid{services_->node_id(), control.target};
  auto peer = control.peer;
  request(services_->kernel, caf::infinite, inspect_atom::value,
          to_string(source))
    .then(
      [this, from, id, kind, source, peer](process_info& info) {
        reply_ok(from, id);
        send_body(from, frame_kind::signal,
                  remote_signal{kind, source, peer,
                                info.exit.value_or(exit_reason{})});
      },
      [this, from, id](caf::error& error) {
        reply_control_error(from, id, error);
      });
}

void remote_gateway::on_signal(const std::string& from,
                               const remote_signal& signal) {
  if (signal.source.node != from) {
    log(spdlog::level::warn,
        "dropped a signal from node " + from + " about agent "
          + to_string(signal.source) + ": a node signals only for its own "
          "agents");
    return;
  }
  auto mine = [&](const remote_watch& x) {
    return x.kind == signal.kind && x.local == signal.target
           && x.remote == signal.source;
  };
  auto before = watches_.size();
  watches_.erase(std::remove_if(watches_.begin(), watches_.end(), mine),
                 watches_.end());
  bool found = watches_.size() != before;
  if (signal.kind == signal_kind::exit) {
    // A link held by the other node's agent ends here too, and an owned
    // agent gets the exit signals that its proxy's links pass on.
    auto theirs = [&](const foreign_watch& x) {
      return x.kind == signal_kind::exit && x.node == from
             && x.peer == signal.source.pid && x.target == signal.target;
    };
    auto count = foreign_.size();
    foreign_.erase(std::remove_if(foreign_.begin(), foreign_.end(), theirs),
                   foreign_.end());
    found = found || foreign_.size() != count || owned_by(from, signal.target);
  }
  count_watches();
  if (!found)
    return; // Demonitored or unlinked meanwhile.
  if (auto local = services_->agents.find(signal.target))
    deliver(this, *local, signal.kind, signal.source, signal.reason);
}

// Agent `pid` of this node exited: agents of other nodes that monitor it
// or are linked to it learn why, and its own monitors and links on agents
// of other nodes end there.
void remote_gateway::on_agent_exit(pid_type pid, const exit_reason& reason) {
  global_pid self{services_->node_id(), pid};
  for (auto i = foreign_.begin(); i != foreign_.end();) {
    if (i->target != pid) {
      ++i;
      continue;
    }
    send_body(i->node, frame_kind::signal,
              remote_signal{i->kind, self, i->peer, reason});
    i = foreign_.erase(i);
  }
  for (auto i = watches_.begin(); i != watches_.end();) {
    if (i->local != pid) {
      ++i;
      continue;
    }
    if (i->kind == signal_kind::exit) {
      send_body(i->remote.node, frame_kind::signal,
                remote_signal{signal_kind::exit, self, i->remote.pid, reason});
    } else {
      remote_control undo;
      undo.op = control_op::demonitor;
      undo.target = i->remote.pid;
      undo.peer = pid;
      send_body(i->remote.node, frame_kind::control, undo);
    }
    i = watches_.erase(i);
  }
  count_watches();
}

// As in Erlang, losing a node is an abnormal exit of every agent there for
// those that monitor or link to one of them, and of the linked agent of
// that node for agents here.
void remote_gateway::end_watches_of(const std::string& node,
                                    const std::string& detail) {
  exit_reason reason{exit_kind::node_down, detail};
  for (auto i = watches_.begin(); i != watches_.end();) {
    if (i->remote.node != node) {
      ++i;
      continue;
    }
    if (auto local = services_->agents.find(i->local))
      deliver(this, *local, i->kind, i->remote, reason);
    i = watches_.erase(i);
  }
  for (auto i = foreign_.begin(); i != foreign_.end();) {
    if (i->node != node) {
      ++i;
      continue;
    }
    if (i->kind == signal_kind::exit)
      if (auto local = services_->agents.find(i->target))
        deliver(this, *local, signal_kind::exit, global_pid{node, i->peer},
                reason);
    i = foreign_.erase(i);
  }
  count_watches();
}

// The publisher's node checked its can_publish list; this node delivers to
// its own subscribers, as a local publish does.
void remote_gateway::on_publish(const std::string& from,
                                remote_publish& body) {
  auto& msg = body.msg;
  if (msg.from.node != from) {
    log(spdlog::level::warn,
        "dropped a publish to topic " + msg.topic + " from node " + from
          + ": it came as " + to_string(msg.from)
          + ", and a node publishes only as its own agents");
    return;
  }
  msg.kind = message_kind::cast;
  for (auto& subscriber : services_->agents.subscribers(msg.topic)) {
    auto copy = msg;
    copy.to = subscriber->global;
    send(subscriber->actor(), std::move(copy));
  }
}

} // namespace corral::remote
