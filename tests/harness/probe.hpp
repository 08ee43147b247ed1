#pragma once

#include <memory>
#include <string>

#include "actors/agent.hpp"
#include "tests/harness/recorder.hpp"

namespace corral::testing {

/// The agent_type under which `register_probe` installs the probe.
inline constexpr const char* probe_type = "probe";

/// Registers the probe agent type. A probe records everything it observes
/// in the recorder of its agent_id (see `recorder_for`) and performs agent
/// API calls on command, so tests can drive every path of the agent
/// context from outside. Commands are request topics with a JSON payload:
/// send/request/publish/broadcast {"to","topic","payload","timeout_ms"},
/// subscribe/monitor/demonitor/link/unlink (payload: the topic or target), spawn (payload:
/// a JSON spawn request), trap_exits ("true"/"false"), exit (an exit kind
/// name), crash (throws), crash_after (sleeps the milliseconds in the
/// payload, then throws), hang (never replies), sleep (milliseconds).
/// With env "stubborn"="1" a probe ignores shutdown requests.
void register_probe();

/// Returns the recorder of the probe named `agent_id`, creating it.
/// Restarted probes keep appending to the same recorder.
std::shared_ptr<recorder> recorder_for(const std::string& agent_id);

/// Drops every recorder, so that a probe spawned later under a name used
/// before starts with an empty one. Probes already running keep theirs.
void forget_recorders();

} // namespace corral::testing
