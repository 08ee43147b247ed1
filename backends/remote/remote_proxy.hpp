#pragma once

#include <memory>
#include <string>

#include <caf/event_based_actor.hpp>

#include "actors/agent_cell.hpp"
#include "actors/log.hpp"
#include "actors/node_services.hpp"
#include "serialization/spawn_request.hpp"

namespace corral::remote {

class remote_service;

/// The local stand-in for an agent that runs on another node: it sits in
/// this node's process table, and local code sends to it like to any agent.
/// It sends the spawn through the gateway, keeps messages until the
/// target confirms, then sends each message and request to the remote
/// agent itself (the I/O thread delivers the replies). A stop stops the remote
/// agent, and the proxy exits with the remote agent's exit reason, or with
/// node_down when its node goes down.
class remote_proxy : public caf::event_based_actor {
public:
  /// Creates the proxy for the agent in `cell`, to be spawned on `node`
  /// with `request` (whose backend is the one to use there).
  remote_proxy(caf::actor_config& cfg, std::shared_ptr<agent_cell> cell,
               std::shared_ptr<node_services> services,
               std::shared_ptr<remote_service> service, caf::actor gateway,
               std::string node, spawn_request request);

  /// Sends the spawn and returns the behavior that waits for its outcome.
  caf::behavior make_behavior() override;

  /// Drops the cell, which stores a strong handle to this actor.
  void on_exit() override;

private:
  caf::behavior starting();
  caf::behavior running();
  void on_started(const global_pid& remote);
  void log(spdlog::level::level_enum level, const std::string& text) const;

  std::shared_ptr<agent_cell> cell_;
  std::shared_ptr<node_services> services_;
  std::shared_ptr<remote_service> service_;
  caf::actor gateway_;
  std::string node_;
  spawn_request request_;
  global_pid remote_;
};

} // namespace corral::remote
