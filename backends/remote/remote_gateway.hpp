#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "actors/log.hpp"
#include "actors/node_services.hpp"
#include "actors/remote_routes.hpp"
#include "backends/remote/remote_messages.hpp"
#include "serialization/remote_bodies.hpp"
#include "serialization/wire_frame.hpp"

namespace corral::remote {

class remote_service;

/// The node's one actor between its agents and the other nodes. As the
/// caller, it sends spawns for proxies, forwards messages to other nodes
/// and matches their replies, and ends proxies and requests when a node
/// goes down. As the target, it spawns agents for other nodes, delivers
/// their messages, and reports the exits of the agents it spawned.
class remote_gateway : public caf::event_based_actor {
public:
  /// Creates the gateway of the node whose services are `services`.
  remote_gateway(caf::actor_config& cfg,
                 std::shared_ptr<remote_service> service,
                 std::shared_ptr<node_services> services);

  /// Returns the gateway's message handlers.
  caf::behavior make_behavior() override;

  /// Drops the shared services, which would otherwise keep each other and
  /// this actor alive.
  void on_exit() override;

private:
  /// A spawn sent to another node, waiting for its reply.
  struct pending_spawn {
    caf::actor proxy;
    std::string node;
    std::string agent_id;
    /// The bytes of the WASM module the spawn names by hash, kept until
    /// the reply in case the target requests them; null for other backends.
    std::shared_ptr<const std::string> module;
    std::string module_sha256;
    /// Spawn timers still to fire. The spawn times out when the last one
    /// fires; a target that requests the module adds one, so that the
    /// transfer gets one more spawn timeout.
    std::uint32_t timers = 1;
  };

  /// A spawn from another node that waits for its WASM module's bytes.
  struct module_wait {
    spawn_request request;
    std::string sha256;
  };

  /// A proxy whose remote agent is alive as far as this node has heard.
  struct live_proxy {
    global_pid remote;
    caf::actor proxy;
  };

  /// An agent this node spawned for another node.
  struct owned_agent {
    std::string owner;
    global_pid agent;
    /// Set while the owner restarts it here: its exit is then no news for
    /// the proxy, which follows the new pid.
    bool restarting = false;
  };

  /// A control operation sent to another node, waiting for its reply.
  struct pending_control {
    caf::response_promise promise;
    global_pid agent;
    remote_control control;
  };

  /// A monitor (kind down) or link (kind exit) from an agent of this node
  /// to an agent of another node.
  struct remote_watch {
    signal_kind kind = signal_kind::down;
    pid_type local = 0;
    global_pid remote;
  };

  /// A monitor or link from agent `peer` of node `node` to agent `target`
  /// of this node.
  struct foreign_watch {
    signal_kind kind = signal_kind::down;
    std::string node;
    pid_type peer = 0;
    pid_type target = 0;
  };

  // Caller side (remote_gateway.cpp).
  void send_spawn(const caf::actor& proxy, const std::string& node,
                  spawn_request& request);
  void expire_spawn(std::uint64_t id);
  void count_serving();
  caf::result<void> stop_proxied(const global_pid& agent,
                                 stop_options options);
  void send_stop(const global_pid& agent, stop_options options);
  void on_spawn_reply(const std::string& from, remote_spawn_reply& reply);
  void on_remote_down(const std::string& from, remote_down& down);
  void on_member_change(const member_change& change);
  void on_down(const caf::down_msg& down);

  // Control operations, both sides (remote_gateway_control.cpp).
  caf::result<remote_control_reply> send_control(const global_pid& agent,
                                                 remote_control& control);
  void expire_control(std::uint64_t id);
  void on_control_reply(const std::string& from, remote_control_reply& reply);
  void follow_restart(const global_pid& old, const global_pid& now);
  void fail_controls_to(const std::string& node, const std::string& detail);
  void on_control(const std::string& from, const remote_control& control);
  void restart_for(const std::string& from, const remote_control& control);
  void end_restart(const std::string& from, pid_type pid,
                   const caf::error& error);
  void reply_control(const std::string& to, remote_control_reply reply);
  void reply_ok(const std::string& to, std::uint64_t id);
  void reply_control_error(const std::string& to, std::uint64_t id,
                           const caf::error& error);

  // Monitors, links and topics across nodes (remote_gateway_links.cpp).
  void add_watch(const global_pid& agent, const remote_control& control);
  void watch_agent(const caf::actor& actor, pid_type pid);
  void on_watch_control(const std::string& from,
                        const remote_control& control);
  void on_signal(const std::string& from, const remote_signal& signal);
  void on_agent_exit(pid_type pid, const exit_reason& reason);
  void end_watches_of(const std::string& node, const std::string& detail);
  void on_publish(const std::string& from, remote_publish& body);
  bool owned_by(const std::string& node, pid_type pid) const;
  void count_watches();

  // Modules by content (remote_gateway_modules.cpp).
  caf::error pin_module(const spawn_request& request, pending_spawn& spawn);
  void on_module_request(const std::string& from,
                         const remote_module_request& ask);
  bool await_module(const std::string& from, std::uint64_t id,
                    spawn_request& request);
  void on_module_data(const std::string& from, remote_module_data& data);
  void expire_module_wait(const std::string& from, std::uint64_t id);
  void drop_module_waits(const std::string& node, const std::string& event);

  /// Payloads from one node that is not an alive member yet.
  struct held_payloads {
    std::vector<inbound_payload> payloads;
    std::size_t bytes = 0;
    /// Names the timer that ends this hold.
    std::uint64_t hold_id = 0;
    std::size_t dropped = 0;
  };

  // Payloads from nodes not yet members (remote_gateway_hold.cpp).
  bool hold_until_up(inbound_payload& payload);
  void release_held(const std::string& node);
  void drop_held(const std::string& node, const std::string& why);
  void expire_hold(const std::string& node, std::uint64_t hold_id);

  // Target side (remote_gateway_inbound.cpp).
  void on_payload(inbound_payload& payload);
  void handle_payload(inbound_payload& payload);
  void on_spawn(const std::string& from, remote_spawn& spawn);
  void spawn_for(const std::string& from, std::uint64_t id,
                 spawn_request request, const std::string& fresh_module);
  caf::error check_spawn(const std::string& from,
                         const spawn_request& request) const;
  void adopt(const std::string& from, std::uint64_t id,
             const spawn_result& result);
  void reply_spawn(const std::string& to, remote_spawn_reply reply);
  void on_message(const std::string& from, remote_envelope& envelope);
  void deliver_request(const std::string& from, remote_envelope& envelope,
                       const caf::actor& receiver);
  /// Sends `error` in the envelope of `failed`, a `failure_reply_to`.
  void reply_failure(const std::string& to, std::uint64_t id,
                     const message& failed, const failure& error);
  void on_stop(const std::string& from, const remote_stop& stop);
  void stop_owned_by(const std::string& node, const std::string& event);

  /// Encodes `body` and sends it; logs and returns false when it cannot.
  template <class Body>
  bool send_body(const std::string& node, frame_kind kind, const Body& body) {
    return send_bytes(node, kind, to_binary(body));
  }

  bool send_bytes(const std::string& node, frame_kind kind, std::string bytes);

  void log(spdlog::level::level_enum level, const std::string& text) const;

  std::shared_ptr<remote_service> service_;
  std::shared_ptr<node_services> services_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, pending_spawn> spawns_;
  /// Requests from other nodes that the gateway delivered and whose agent
  /// has not replied yet; see remote_service for those delivered directly.
  std::size_t serving_ = 0;
  std::map<caf::actor_addr, live_proxy> proxies_;
  /// The proxies by their remote agent's global pid ("node:pid").
  std::map<std::string, caf::actor_addr> proxy_of_;
  std::map<caf::actor_addr, owned_agent> owned_;
  std::map<std::uint64_t, pending_control> controls_;
  std::vector<remote_watch> watches_;
  std::vector<foreign_watch> foreign_;
  /// The agents this gateway monitors for watches, with their pids.
  std::map<caf::actor_addr, pid_type> watched_;
  /// Spawns from other nodes waiting for module bytes, by (node, request_id).
  std::map<std::pair<std::string, std::uint64_t>, module_wait> module_waits_;
  /// Payloads from nodes that are not alive members yet, by node id.
  std::map<std::string, held_payloads> held_;
};

} // namespace corral::remote
