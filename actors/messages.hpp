#pragma once

// The CAF message vocabulary between the kernel, the node facade and the
// actors that host agents. Types crossing actors are plain structs from
// serialization/, allowed as unsafe message types because corral never
// ships them through CAF's own serializers (the network uses cereal).

#include <cstdint>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "serialization/exit_reason.hpp"
#include "serialization/message.hpp"
#include "serialization/process_info.hpp"
#include "serialization/spawn_request.hpp"

namespace corral {

using spawn_atom = caf::atom_constant<caf::atom("spawn")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using suspend_atom = caf::atom_constant<caf::atom("suspend")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using inspect_atom = caf::atom_constant<caf::atom("inspect")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using watch_atom = caf::atom_constant<caf::atom("watch")>;
using unwatch_atom = caf::atom_constant<caf::atom("unwatch")>;
using link_atom = caf::atom_constant<caf::atom("link")>;
using unlink_atom = caf::atom_constant<caf::atom("unlink")>;
using monitor_atom = caf::atom_constant<caf::atom("monitor")>;
using demonitor_atom = caf::atom_constant<caf::atom("demonitor")>;
using started_atom = caf::atom_constant<caf::atom("started")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using kill_atom = caf::atom_constant<caf::atom("kill")>;
using exited_atom = caf::atom_constant<caf::atom("exited")>;
using warning_atom = caf::atom_constant<caf::atom("warning")>;
using timer_atom = caf::atom_constant<caf::atom("timer")>;
using resolve_atom = caf::atom_constant<caf::atom("resolve")>;
using deadline_atom = caf::atom_constant<caf::atom("deadline")>;
/// Sent by the kernel to an agent spawned outside the kernel (see
/// spawn_here) once its table contains the agent, so that the agent runs
/// for the first time. Agents ignore it.
using launch_atom = caf::atom_constant<caf::atom("launch")>;
/// Sent by an agent to itself when results of its own spawns wait for
/// their callbacks.
using spawned_atom = caf::atom_constant<caf::atom("spawned")>;
/// Sent to the kernel when spawns wait in its inbox. The kernel drains the
/// inbox before it handles any message.
using drain_atom = caf::atom_constant<caf::atom("drain")>;
/// Sent to the kernel when an agent's actor has terminated, with the pid,
/// the CAF actor id and the exit reason.
using agent_down_atom = caf::atom_constant<caf::atom("agentdown")>;

/// How `stop` ends an agent.
struct stop_options {
  /// Skip the shutdown signal and kill at once.
  bool immediate = false;
  /// Time the agent gets between the shutdown signal and the kill.
  std::uint64_t grace_ms = 5000;
};

/// Sent to an agent that monitors `pid` when `pid` exits.
struct down_notice {
  pid_type pid = 0;
  std::string agent_id;
  exit_reason reason;
};

/// Sent to an agent linked to `pid` when `pid` exits abnormally. Unless the
/// agent traps exits, it then exits with the same reason.
struct exit_signal {
  pid_type pid = 0;
  std::string agent_id;
  exit_reason reason;
};

/// Sent to an agent and its supervisor when a limit reaches 80%.
struct resource_warning {
  pid_type pid = 0;
  std::string agent_id;
  /// "cpu", "memory", "messages" or "fuel".
  std::string resource;
  std::uint64_t used = 0;
  std::uint64_t limit = 0;
};

} // namespace corral

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::spawn_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::spawn_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::message)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::process_info)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<corral::process_info>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::state_change)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::exit_reason)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::stop_options)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::down_notice)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::exit_signal)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::resource_warning)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::global_pid)
