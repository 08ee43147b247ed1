#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "actors/agent_cell.hpp"
#include "actors/messages.hpp"
#include "serialization/message.hpp"
#include "serialization/pid.hpp"
#include "serialization/remote_bodies.hpp"
#include "serialization/spawn_backend.hpp"

namespace corral {

/// Asks the gateway (the actor of a cell that `remote_routes::find`
/// returns) to run a `remote_control` on an agent of another node:
/// `(control_atom, global_pid, remote_control)`, answered with the
/// `remote_control_reply`, or with the error of a failed operation.
using control_atom = caf::atom_constant<caf::atom("control")>;

/// A request to an agent of another node with the time at which its
/// requester stops waiting. Sent instead of the bare `message` to a cell
/// whose `remote` flag is set, so that the gateway can tell the agent's
/// node how long the reply is still wanted.
struct remote_request {
  message msg;
  /// On this process's steady clock.
  std::chrono::steady_clock::time_point deadline;
};

/// Returns what to send as the request `msg` to `receiver` when the
/// requester waits `timeout` for the reply: a `remote_request` for a cell
/// of another node, else `msg` itself.
inline caf::message make_request_message(const agent_cell& receiver,
                                         message msg,
                                         std::chrono::milliseconds timeout) {
  if (!receiver.remote)
    return caf::make_message(std::move(msg));
  // A day bounds the sum, so that an "infinite" timeout cannot overflow
  // the clock; the gateway caps the wait far below that.
  auto bounded = std::min<std::chrono::milliseconds>(timeout,
                                                     std::chrono::hours{24});
  return caf::make_message(remote_request{
    std::move(msg), std::chrono::steady_clock::now() + bounded});
}

/// Reaches agents of other nodes of the cluster. The remote backend
/// implements it and sets it in `node_services::remote` in cluster mode, so
/// that routing in actors/ works with global pids without knowing net/.
class remote_routes {
public:
  virtual ~remote_routes() = default;

  /// Returns a cell that stands for agent `target` of another node: its
  /// actor forwards every message to that node. Fails with
  /// node_unreachable when the node is not known or not alive.
  virtual caf::expected<std::shared_ptr<agent_cell>>
  find(const global_pid& target) const = 0;

  /// Chooses the node on which to restart a Remote agent spawned with
  /// `spec`. That is `spec.node_id` while it is alive and not in `refused`
  /// (nodes that failed to start the agent since it last ran, with the
  /// reason). Otherwise, for failover `any`, it is the first alive node of
  /// `spec.failover.preferred` outside `refused`, else such an alive member
  /// with the fewest live agents, else this node when it can run the inner
  /// backend. Fails with node_unreachable, naming the dead node and the
  /// refusals, when none of these can take the agent.
  virtual caf::expected<std::string>
  failover_target(const remote_backend& spec,
                  const std::map<std::string, std::string>& refused) const
    = 0;

  /// Passes `msg`, published to `msg.topic` on this node, to every alive
  /// member, whose subscribers of the topic get it. The publisher's
  /// can_publish was checked here before.
  virtual void publish(const message& msg) const = 0;
};

} // namespace corral

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::remote_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::remote_control)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::remote_control_reply)
