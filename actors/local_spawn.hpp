#pragma once

// The spawn path that runs on the caller's thread: for backends that allow
// it (`backend::spawns_on_caller`), a spawn needs no request to the kernel
// and no wake-up of its worker. The caller checks the request, takes a pid,
// publishes the agent and queues it in the kernel's inbox (`spawn_inbox`).
// The backend may leave the hosting actor's creation to the first thread
// that needs the actor (`agent_cell::defer_actor`), so that the caller
// does not create it. The kernel adds the queued agents to its table,
// which creates their actors, before it handles its next message, and
// then lets them run.

#include <memory>
#include <optional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>

#include "actors/agent_cell.hpp"
#include "actors/directory.hpp"
#include "actors/node_services.hpp"
#include "serialization/spawn_request.hpp"

namespace corral {

/// Returns invalid_request naming the problem when `id` is not a valid
/// agent_id, else no error.
caf::error check_agent_id(const std::string& id);

/// Returns invalid_request when `request` requests more memory than the
/// node's `max_agent_memory_bytes`, else no error. A Remote request is
/// checked by its target node instead.
caf::error check_memory_request(const spawn_request& request,
                                const node_config& config);

/// Returns the error for a failed `directory` claim of `agent_id` on node
/// `node_id`. It names the node, because the spawn may have come from
/// another node of the cluster.
caf::error claim_error(const directory::claim& claim,
                       const std::string& agent_id, const std::string& node_id,
                       std::size_t max_live);

/// Gives `pid` back after a failed spawn, so that "below next_pid" keeps
/// meaning "existed once". NOTE: when another spawn took a later pid
/// meanwhile, `pid` stays unused, and routing then calls it exited rather
/// than unknown.
void return_pid(node_services& services, pid_type pid);

/// Creates the cell of a new agent for `request` with the next pid. An
/// agent whose request sets no capabilities or no limits shares the
/// node's defaults instead of a copy.
std::shared_ptr<agent_cell> make_agent_cell(node_services& services,
                                            const spawn_request& request);

/// Sends `(agent_down_atom, pid, actor id, reason)` to the kernel when the
/// actor of `cell` terminates, at once if it already has. The kernel learns
/// of exits this way rather than through monitors, so it needs no map from
/// actor ids to pids.
void report_exit_to_kernel(const node_services& services,
                           const agent_cell& cell);

/// Spawns `request` on the calling thread when its backend spawns on the
/// caller and it is either top-level or a child of `parent` (the calling
/// agent's cell). `self` is the calling actor, or null outside any actor.
/// Returns nullopt when the kernel has to spawn it instead.
std::optional<caf::expected<spawn_result>>
spawn_here(caf::actor_system& system,
           const std::shared_ptr<node_services>& services,
           const spawn_request& request, const agent_cell* parent,
           caf::event_based_actor* self);

} // namespace corral
