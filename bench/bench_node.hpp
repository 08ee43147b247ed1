#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "actors/node.hpp"
#include "bench/scheduler_settings.hpp"

namespace corral::bench {

/// The clock every measurement uses.
using clock_type = std::chrono::steady_clock;

/// Returns the microseconds that passed since `since`.
double elapsed_us(clock_type::time_point since);

/// Starts a node with the built-in backends, and a Tee backend that
/// accepts simulated enclaves, whose worker threads inherit the settings'
/// timer slack.
std::unique_ptr<node> start_node(const scheduler_settings& settings);

/// Returns a spawn request for a native agent of `agent_type`.
spawn_request make_request(std::string agent_id, std::string agent_type,
                           std::map<std::string, std::string> env = {});

/// Spawns `request` and returns the pid; raises std::runtime_error naming
/// the agent when the spawn fails.
pid_type spawn_or_throw(node& host, const spawn_request& request);

/// Waits at most `limit` for `done` to return true; raises an error naming
/// `description` when the time runs out.
void wait_for(const std::function<bool()>& done,
              std::chrono::milliseconds limit, const std::string& description);

} // namespace corral::bench
