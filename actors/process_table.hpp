#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/response_promise.hpp>

#include "actors/agent_cell.hpp"
#include "actors/stored_request.hpp"
#include "actors/supervision_policy.hpp"
#include "serialization/process_info.hpp"
#include "serialization/spawn_request.hpp"

namespace corral {

/// True when an entry may move from `from` to `to`:
/// starting -> running <-> suspended -> stopping -> exited, and from any
/// live state straight to stopping or exited.
bool is_valid_transition(process_state from, process_state to);

/// Nodes by id, each with the reason it failed to start an agent.
using refused_node_map = std::map<std::string, std::string>;

/// One child of a supervisor, in start order. The slot outlives restarts:
/// each restart puts a new pid into it.
struct child_slot {
  /// Shared with the live entry, so a slot costs a pointer, not a copy.
  std::shared_ptr<const stored_request> request;
  /// The running instance; 0 while the child waits to be restarted.
  pid_type pid = 0;
  std::uint32_t restart_count = 0;
  /// Set while the slot belongs to a restart round that has not run yet.
  /// A flag rather than a list of positions, because slots of children that
  /// leave the supervisor meanwhile are erased and shift the positions.
  bool restart_pending = false;
  /// Set when the child left the supervisor; the slot is reclaimed later.
  bool removed = false;
  /// Restarts of this child alone. The kernel limits each top-level agent
  /// separately, so one failing agent does not stop the others' restarts.
  restart_intensity intensity;
  /// Nodes that failed to start this Remote child since it last ran, with
  /// the reason, or null while none did. Its failover restarts try other
  /// nodes first.
  std::unique_ptr<refused_node_map> refused_nodes;
};

/// What an agent (or the kernel) needs to supervise its children.
struct supervisor_state {
  supervisor_spec spec;
  /// In start order. Removed slots stay as tombstones until `compact`, so
  /// that positions stay valid while a restart round is being planned.
  std::vector<child_slot> children;
  restart_intensity intensity;
  /// Siblings stopped for a group restart whose exits the round awaits.
  std::vector<pid_type> awaiting_exit;
  bool backoff_elapsed = true;
  /// Invalidates timers of an earlier restart round.
  std::uint64_t round = 0;

  /// Returns the slot that holds `pid`, or nullopt.
  std::optional<std::size_t> slot_of(pid_type pid) const;

  /// Appends a slot for a new child.
  void add(std::shared_ptr<const stored_request> request, pid_type pid,
           std::uint32_t restart_count);

  /// Puts `pid` (0: none) into the slot at `index`.
  void set_pid(std::size_t index, pid_type pid);

  /// Marks the slot at `index` removed; positions stay valid.
  void remove(std::size_t index);

  /// Reclaims removed slots once they are the majority. Invalidates
  /// positions, so callers run it after they are done with them.
  void compact();

private:
  std::unordered_map<pid_type, std::size_t> index_;
  std::size_t removed_ = 0;
};

/// The fields of a live entry that most agents never use, allocated on
/// first use so that an idle agent does not pay for them.
struct process_extras {
  /// The type `ps` shows when the backend named one (e.g. a WASM module).
  std::string agent_type;
  /// The node that runs the agent when another node does (Remote).
  std::string node;
  /// Backend facts that `inspect` shows (e.g. a Tee agent's measurement).
  std::map<std::string, std::string> backend_details;
  /// The agent's global pid on that node, once its proxy reported it.
  std::optional<global_pid> global;
  /// Overrides the reason the actor reports (e.g. a supervisor that gave
  /// up is killed but exits as crashed).
  std::optional<exit_reason> forced_reason;
  std::vector<caf::response_promise> exit_waiters;
  std::optional<caf::response_promise> start_waiter;
  /// Set when the agent exited before it ran and its spawner got the
  /// error. The spawn failed, so the exit is not handed to the supervisor.
  bool start_failed = false;
  /// Set by `restart`: after the exit, the same request starts again and
  /// the promise receives the new pid.
  std::optional<caf::response_promise> restart_waiter;
  std::vector<pid_type> monitored_by;
  std::vector<pid_type> links;
};

/// One live agent as the kernel keeps it. It stores only what it cannot
/// derive: identity, capabilities, limits and the actor come from the
/// agent's cell, type, backend and restart type from its request, and
/// `snapshot` puts a `process_info` together on demand.
struct process_entry {
  std::shared_ptr<agent_cell> cell;
  std::shared_ptr<const stored_request> request;
  /// Milliseconds since the Unix epoch.
  std::int64_t start_time_ms = 0;
  std::uint64_t stop_token = 0;
  std::uint32_t restart_count = 0;
  process_state state = process_state::starting;
  /// Set when the kernel ended the agent on purpose (stop, parent exit,
  /// sibling restart): such an exit is not handed to the supervisor.
  bool stop_requested = false;

  pid_type pid() const {
    return cell->pid;
  }

  const std::string& agent_id() const {
    return cell->agent_id;
  }

  pid_type parent() const {
    return cell->parent;
  }

  const caf::actor& actor() const {
    return cell->actor();
  }

  /// Returns the rarely used fields, creating them on first use.
  process_extras& extras();

  /// Returns the rarely used fields, or null while none was set.
  process_extras* find_extras() const {
    return extras_.get();
  }

  /// Returns what the agent needs to supervise its children, creating it
  /// with the request's spec when the agent gets its first child.
  supervisor_state& supervision();

  /// Returns the supervision state, or null for an agent without children.
  supervisor_state* find_supervision() const {
    return supervision_.get();
  }

private:
  std::unique_ptr<process_extras> extras_;
  std::unique_ptr<supervisor_state> supervision_;
};

/// The kernel's process table: live entries by pid, names of live agents,
/// and a bounded history of exited entries. Not thread-safe: only the
/// kernel actor touches it.
class process_table {
public:
  /// Creates a table that keeps `history_size` exited entries.
  explicit process_table(std::size_t history_size);

  /// Adds a live entry. The node's directory has checked its name and the
  /// table limit.
  process_entry& insert(process_entry entry);

  /// Returns the live entry with `pid`, or null.
  process_entry* find(pid_type pid);

  /// Returns the snapshot of an exited entry, or null.
  const process_info* find_exited(pid_type pid) const;

  /// Returns the latest exited entry named `agent_id`, or null.
  const process_info* find_exited(const std::string& agent_id) const;

  /// Moves `entry` to `to`, or returns invalid_state_transition.
  caf::error transition(process_entry& entry, process_state to);

  /// Removes a live entry after its exit and keeps `last`, its final
  /// snapshot, with state exited and `reason` in the history, reaping the
  /// oldest snapshot beyond the bound.
  void retire(pid_type pid, process_info last, const exit_reason& reason);

  /// Live entries in pid order.
  std::vector<process_entry*> live();

  /// Exited snapshots, oldest first.
  const std::deque<process_info>& exited() const {
    return history_;
  }

  /// Number of live entries.
  std::size_t live_count() const {
    return live_.size();
  }

private:
  std::size_t history_size_;
  // Hashed rather than ordered: a node costs 24 bytes less per agent, and
  // only `live` needs pid order.
  std::unordered_map<pid_type, process_entry> live_;
  std::deque<process_info> history_;
};

} // namespace corral
