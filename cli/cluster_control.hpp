#pragma once

#include <functional>

#include <nlohmann/json.hpp>

#include "actors/node.hpp"
#include "net/cluster_node.hpp"
#include "net/control_endpoint.hpp"

namespace corral::cli {

/// Returns the JSON form of a member, as the "nodes" reply lists it.
nlohmann::json to_json(const member_info& x);

/// Wraps `inner` with the cluster's control operations: it handles
/// "nodes" itself (the members, or only this node when `cluster` is null)
/// and adds a "cluster" object with the transport's counters to the
/// "stats" reply. Other requests go to `inner` unchanged. `local` and
/// `cluster` must outlive the returned handler.
corral::control_handler with_cluster_operations(corral::control_handler inner,
                                                node& local,
                                                const cluster_node* cluster);

} // namespace corral::cli
