#pragma once

#include <string>

#include "actors/backend.hpp"
#include "actors/node.hpp"

namespace corral::cli {

/// Returns `backends` with a Tee backend whose policy allows simulated
/// enclaves, and logs for node `node_id` the warning that this allowance
/// deserves.
backend_registry with_demo_tee(backend_registry backends,
                               const std::string& node_id);

/// The demo's Tee step: spawns a simulated enclave running echo.wat from
/// `modules`, prints its measurement and sends it a request through the
/// sealed channel.
void run_tee_step(node& instance, const std::string& modules);

} // namespace corral::cli
