// The caller side of the gateway: spawns on other nodes, forwarding of
// messages and requests, and what happens when a node goes down.

#include "backends/remote/remote_gateway.hpp"

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/router.hpp"
#include "backends/remote/remote_service.hpp"

namespace corral::remote {

remote_gateway::remote_gateway(caf::actor_config& cfg,
                               std::shared_ptr<remote_service> service,
                               std::shared_ptr<node_services> services)
  : caf::event_based_actor(cfg),
    service_(std::move(service)),
    services_(std::move(services)) {
}

void remote_gateway::on_exit() {
  service_.reset();
  services_.reset();
}

caf::behavior remote_gateway::make_behavior() {
  set_down_handler([this](caf::down_msg& down) { on_down(down); });
  return {
    [this](spawn_atom, const caf::actor& proxy, const std::string& node,
           spawn_request& request) { send_spawn(proxy, node, request); },
    [this](timer_atom, spawn_atom, std::uint64_t id) { expire_spawn(id); },
    [this](timer_atom, module_atom, const std::string& from,
           std::uint64_t id) { expire_module_wait(from, id); },
    // Messages to agents of other nodes that were addressed by global pid.
    // Those sent to a proxy leave from the proxy or from their sender.
    [this](message& msg) {
      return service_->forward(this, msg, service_->settings().request_timeout);
    },
    [this](remote_request& request) {
      return service_->forward_until(this, request);
    },
    [this](timer_atom, deadline_atom) { service_->expire_requests(); },
    [this](timer_atom, serve_atom) { service_->expire_served(); },
    [this](stop_atom, const global_pid& agent, stop_options options) {
      return stop_proxied(agent, options);
    },
    [this](inbound_payload& payload) { on_payload(payload); },
    [this](const member_change& change) { on_member_change(change); },
    [this](control_atom, const global_pid& agent, remote_control& control) {
      return send_control(agent, control);
    },
    [this](timer_atom, control_atom, std::uint64_t id) { expire_control(id); },
    [this](timer_atom, hold_atom, const std::string& node,
           std::uint64_t hold_id) { expire_hold(node, hold_id); },
    // An exit signal that a proxy passes on to its remote agent.
    [this](const std::string& node, const remote_signal& signal) {
      send_body(node, frame_kind::signal, signal);
    },
  };
}

bool remote_gateway::send_bytes(const std::string& node, frame_kind kind,
                                std::string bytes) {
  auto error = service_->send(node, kind, std::move(bytes));
  if (!error)
    return true;
  log(spdlog::level::debug, std::string{"cannot send "} + kind_name(
                              static_cast<std::uint8_t>(kind))
                              + " to node " + node + ": " + to_string(*error));
  return false;
}

void remote_gateway::send_spawn(const caf::actor& proxy,
                                const std::string& node,
                                spawn_request& request) {
  auto id = next_id_++;
  pending_spawn pending{proxy, node, request.agent_id, nullptr, {}, 1};
  if (auto error = pin_module(request, pending)) {
    send(proxy, failed_atom::value, std::move(error));
    return;
  }
  auto error = service_->send(node, frame_kind::spawn,
                              to_binary(remote_spawn{id, std::move(request)}));
  if (error) {
    send(proxy, failed_atom::value,
         make_error(error->code, "cannot spawn agent " + pending.agent_id
                                   + " on node " + node + ": "
                                   + error->detail));
    return;
  }
  monitor(proxy);
  spawns_[id] = std::move(pending);
  delayed_send(this, service_->settings().spawn_timeout, timer_atom::value,
               spawn_atom::value, id);
}

// The spawn may still succeed on the target after this; its late reply then
// finds no pending spawn and stops the agent (see on_spawn_reply).
void remote_gateway::expire_spawn(std::uint64_t id) {
  auto i = spawns_.find(id);
  if (i == spawns_.end() || --i->second.timers > 0)
    return;
  auto timeout = service_->settings().spawn_timeout.count();
  send(i->second.proxy, failed_atom::value,
       make_error(errc::timeout, "node " + i->second.node
                                   + " did not answer the spawn of agent "
                                   + i->second.agent_id + " within "
                                   + std::to_string(timeout) + " ms"));
  spawns_.erase(i);
}

void remote_gateway::on_spawn_reply(const std::string& from,
                                    remote_spawn_reply& reply) {
  auto i = spawns_.find(reply.request_id);
  if (i == spawns_.end() || i->second.node != from) {
    if (!reply.error) {
      // The spawn timed out or its proxy is gone: nothing here refers to
      // the new agent, so it must not keep running there.
      log(spdlog::level::info,
          "stopping agent " + to_string(reply.result.global)
            + ": its spawn reply came after the spawn had ended here");
      send_body(from, frame_kind::stop,
                remote_stop{reply.result.pid, true, 0});
    }
    return;
  }
  auto proxy = i->second.proxy;
  spawns_.erase(i);
  if (reply.error) {
    send(proxy, failed_atom::value, to_error(*reply.error));
    return;
  }
  proxies_[proxy.address()] = live_proxy{reply.result.global, proxy};
  proxy_of_[to_string(reply.result.global)] = proxy.address();
  send(proxy, started_atom::value, reply.result.global);
}

void remote_gateway::count_serving() {
  service_->count_serving(serving_);
}

// A full send queue only delays the stop: the proxy keeps waiting, and its
// kill at the end of the grace period sends an immediate stop.
caf::result<void> remote_gateway::stop_proxied(const global_pid& agent,
                                               stop_options options) {
  auto error = service_->send(
    agent.node, frame_kind::stop,
    to_binary(remote_stop{agent.pid, options.immediate, options.grace_ms}));
  if (error && error->code != errc::resource_limit_exceeded)
    return make_error(error->code, "cannot send the stop of "
                                     + to_string(agent) + ": "
                                     + error->detail);
  return caf::unit;
}

void remote_gateway::send_stop(const global_pid& agent, stop_options options) {
  send_body(agent.node, frame_kind::stop,
            remote_stop{agent.pid, options.immediate, options.grace_ms});
}

void remote_gateway::on_remote_down(const std::string& from,
                                    remote_down& down) {
  if (down.agent.node != from)
    return;
  auto key = proxy_of_.find(to_string(down.agent));
  if (key == proxy_of_.end())
    return;
  auto i = proxies_.find(key->second);
  proxy_of_.erase(key);
  if (i == proxies_.end())
    return;
  send(i->second.proxy, exited_atom::value, down.reason);
  proxies_.erase(i);
}

void remote_gateway::on_member_change(const member_change& change) {
  if (change.alive) {
    release_held(change.node_id);
    return;
  }
  const auto& node = change.node_id;
  auto detail = "node " + node + " is " + change.event;
  drop_held(node, "it is " + change.event);
  for (auto i = spawns_.begin(); i != spawns_.end();) {
    if (i->second.node != node) {
      ++i;
      continue;
    }
    send(i->second.proxy, failed_atom::value,
         make_error(errc::node_unreachable,
                    "cannot spawn agent " + i->second.agent_id + ": "
                      + detail));
    i = spawns_.erase(i);
  }
  for (auto i = proxies_.begin(); i != proxies_.end();) {
    if (i->second.remote.node != node) {
      ++i;
      continue;
    }
    send(i->second.proxy, exited_atom::value,
         exit_reason{exit_kind::node_down, detail});
    proxy_of_.erase(to_string(i->second.remote));
    i = proxies_.erase(i);
  }
  for (auto& request : service_->requests().take_all_to(node))
    deliver_reply(request.reply,
                  caf::make_message(make_error(
                    errc::node_unreachable,
                    "the request got no reply: " + detail)));
  fail_controls_to(node, detail);
  end_watches_of(node, detail);
  drop_module_waits(node, change.event);
  stop_owned_by(node, change.event);
}

void remote_gateway::on_down(const caf::down_msg& down) {
  if (auto watched = watched_.find(down.source); watched != watched_.end()) {
    auto pid = watched->second;
    watched_.erase(watched);
    on_agent_exit(pid, from_exit_error(down.reason));
  }
  if (auto owned = owned_.find(down.source); owned != owned_.end()) {
    auto reason = from_exit_error(down.reason);
    if (!owned->second.restarting)
      send_body(owned->second.owner, frame_kind::monitor_down,
                remote_down{owned->second.agent, reason});
    owned_.erase(owned);
    return;
  }
  // A proxy ended while its remote agent still runs (e.g. it was killed):
  // the agent must not outlive it.
  if (auto i = proxies_.find(down.source); i != proxies_.end()) {
    send_stop(i->second.remote, {true, 0});
    proxy_of_.erase(to_string(i->second.remote));
    proxies_.erase(i);
  }
  for (auto i = spawns_.begin(); i != spawns_.end();) {
    if (i->second.proxy.address() == down.source)
      i = spawns_.erase(i);
    else
      ++i;
  }
}

void remote_gateway::log(spdlog::level::level_enum level,
                         const std::string& text) const {
  if (services_ && should_log(level))
    corral::log(level, {services_->node_id(), kernel_pid, "remote"}, text);
}

} // namespace corral::remote
