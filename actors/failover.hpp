#pragma once

#include <map>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "actors/node_services.hpp"
#include "actors/process_table.hpp"
#include "serialization/spawn_request.hpp"

namespace corral {

/// Returns the request a supervisor restarts `request` from. A Remote
/// agent with failover `any` whose node is no longer alive, or is in
/// `refused`, gets a copy aimed at the node that
/// `remote_routes::failover_target` chooses. When that is this node, the
/// copy runs the inner backend here. Every other request comes back
/// unchanged. Fails with the reason to log when no node can take the
/// agent. `supervisor` is the pid that logs name.
caf::expected<std::shared_ptr<const spawn_request>>
place_restart(const node_services& services, pid_type supervisor,
              std::shared_ptr<const spawn_request> request,
              const refused_node_map& refused = {});

/// Updates the refused nodes of a child that exited with `reason`. A
/// Remote child with failover `any` that never reached running (`ran` is
/// false) adds its node, so that the next restart tries another one. A
/// child that ran clears the list.
void note_exit_for_failover(child_slot& slot, bool ran,
                            const exit_reason& reason);

} // namespace corral
