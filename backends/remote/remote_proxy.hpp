#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
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
/// agent itself (the I/O thread delivers the replies). Once it runs and its
/// mailbox is empty, a message or request is sent to the remote agent on
/// the sender's thread and never enters the mailbox, as CAF's proxies of
/// remote actors do. A stop stops the remote agent, and the proxy exits
/// with the remote agent's exit reason, or with node_down when its node
/// goes down.
class remote_proxy : public caf::event_based_actor {
public:
  using caf::event_based_actor::enqueue;

  /// Creates the proxy for the agent in `cell`, to be spawned on `node`
  /// with `request` (whose backend is the one to use there).
  remote_proxy(caf::actor_config& cfg, std::shared_ptr<agent_cell> cell,
               std::shared_ptr<node_services> services,
               std::shared_ptr<remote_service> service, caf::actor gateway,
               std::string node, spawn_request request);

  /// Sends the spawn and returns the behavior that waits for its outcome.
  caf::behavior make_behavior() override;

  /// Sends a `message` or `remote_request` to the remote agent on the
  /// caller's thread while the proxy runs and nothing waits in its
  /// mailbox, so that no message overtakes an earlier one. Queues every
  /// other element, and these too at other times, in the mailbox.
  void enqueue(caf::mailbox_element_ptr element,
               caf::execution_unit* host) override;

  /// Handles `element` as CAF does, and counts it out of the mailbox
  /// unless the behavior skipped it.
  caf::invoke_message_result consume(caf::mailbox_element& element) override;

  /// Drops the cell, which stores a strong handle to this actor.
  void on_exit() override;

private:
  caf::behavior starting();
  caf::behavior running();
  void on_started(const global_pid& remote);
  bool forward_unqueued(caf::mailbox_element& element);
  void exit_with(caf::error reason);
  void log(spdlog::level::level_enum level, const std::string& text) const;

  std::shared_ptr<agent_cell> cell_;
  std::shared_ptr<node_services> services_;
  std::shared_ptr<remote_service> service_;
  caf::actor gateway_;
  std::string node_;
  spawn_request request_;
  /// Written only by the proxy's own thread, under `route_mutex_`.
  global_pid remote_;
  /// Held while a sender's thread forwards, so that the proxy's thread
  /// changes `remote_` and `forwarding_`, and drops what the forwarding
  /// uses, only between forwards.
  std::mutex route_mutex_;
  /// True from the target's confirmation until the proxy exits.
  bool forwarding_ = false;
  /// Elements that entered the mailbox and that no handler has consumed
  /// yet. Senders' threads forward only while it is 0, so that no message
  /// overtakes one that waits in the mailbox, and no message overtakes a
  /// restart that waits there either.
  std::atomic<std::size_t> queued_{0};
};

} // namespace corral::remote
