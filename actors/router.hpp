#pragma once

#include <memory>
#include <string>

#include <caf/error.hpp>

#include "actors/agent_cell.hpp"
#include "actors/error.hpp"
#include "actors/node_services.hpp"
#include "serialization/message.hpp"
#include "serialization/process_info.hpp"

namespace corral {

/// Where a target string led: a live agent, or why there is none.
struct route {
  std::shared_ptr<agent_cell> cell;
  caf::error error;
  dead_letter_reason reason = dead_letter_reason::unknown_target;
};

/// Resolves `target`, written as a decimal pid, "node:pid" or an agent_id,
/// to a live agent of this node, or, for "node:pid" of another node of the
/// cluster, to a cell whose actor forwards to that node.
route resolve(const node_services& services, const std::string& target);

/// Checks the sender's `can_send` scope for a message to `receiver` with
/// `topic`. A null sender is the kernel or an outside client and may send
/// anywhere.
caf::error check_send(const agent_cell* sender, const agent_cell& receiver,
                      const std::string& topic);

/// Checks the sender's `can_publish` list for `topic`.
caf::error check_publish(const agent_cell* sender, const std::string& topic);

/// Records an undeliverable message in the node's dead-letter queue.
void post_dead_letter(node_services& services, message msg,
                      const std::string& target, dead_letter_reason reason);

/// Records `msg`, a request that failed with `code`, in the node's
/// dead-letter queue when the failure means it was not delivered: a
/// timeout, or a receiver that had exited. Other failures record nothing.
void post_failed_request(node_services& services, message msg,
                         const std::string& target, errc code);

/// Records `msg`, a cast that its receiver `msg.to` did not handle because
/// it exited, in the node's dead-letter queue with reason exited_target
/// and the receiver's global pid as the target.
void post_unhandled_cast(node_services& services, message msg);

/// Returns the current wall-clock time in milliseconds since the epoch.
std::int64_t now_ms();

} // namespace corral
