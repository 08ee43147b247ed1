#pragma once

#include <string>
#include <vector>

#include "actors/agent_cell.hpp"
#include "backends/container/engine.hpp"
#include "serialization/spawn_request.hpp"

namespace corral::container {

/// Arguments of one `run`, split so that a warm pool can start a container
/// before the agent that will use it is spawned.
struct container_spec {
  /// `--name` and the labels that name the node, pid and agent.
  std::vector<std::string> identity;
  /// Everything else, up to and including the image and its command.
  /// Containers with equal options are interchangeable.
  std::vector<std::string> options;
};

/// Returns a container name "corral-<node process id>-<serial>-<node>-<tag>"
/// that is unique on this host; characters an engine does not allow in
/// names become '_'.
std::string make_container_name(const std::string& node,
                                const std::string& tag);

/// Builds the `run` arguments for the agent in `cell` from `request`: a
/// hardened container (no network unless can_network, read-only root with
/// a tmpfs at /tmp, no capabilities, no-new-privileges) with the spawn's
/// memory and CPU limits and env. The command is the image's own unless
/// agent_type names one.
container_spec make_container_spec(const engine_settings& settings,
                                   const spawn_request& request,
                                   const agent_cell& cell,
                                   const std::string& node,
                                   const std::string& name);

/// Returns `--name` and the labels of a pooled container of `node`.
std::vector<std::string> pool_identity(const std::string& node,
                                       const std::string& name);

} // namespace corral::container
