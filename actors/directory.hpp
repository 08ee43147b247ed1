#pragma once

#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/agent_cell.hpp"

namespace corral {

/// The routing view of a node's live agents: pid and agent_id to cell, and
/// topic subscriptions. The kernel writes it; hosting actors read it to send
/// directly to each other, so that messages do not pass through the kernel.
/// Thread-safe; reads take a shared lock.
class directory {
public:
  /// The outcome of `reserve` and `add`.
  struct claim {
    enum { ok, name_taken, full } status = ok;
    /// The live agent that has the name, for `name_taken`.
    pid_type holder = 0;
  };

  /// Publishes a live agent. Returns false if its agent_id is taken.
  bool add(std::shared_ptr<agent_cell> cell);

  /// Publishes a live agent unless its agent_id is taken or `max_live`
  /// names are taken already (reserved ones included).
  claim add(std::shared_ptr<agent_cell> cell, std::size_t max_live);

  /// Takes `agent_id` for `pid` before the agent's cell exists, under the
  /// same rules as `add`. Lookups by name find nothing until `publish`.
  claim reserve(const std::string& agent_id, pid_type pid,
                std::size_t max_live);

  /// Publishes the cell of an agent whose name `reserve` took.
  void publish(std::shared_ptr<agent_cell> cell);

  /// Gives back a name that `reserve` took for `pid`.
  void release(const std::string& agent_id, pid_type pid);

  /// Withdraws an agent and its subscriptions; unknown pids are ignored.
  void remove(pid_type pid);

  /// Returns the live agent with `pid`, or null.
  std::shared_ptr<agent_cell> find(pid_type pid) const;

  /// Returns the live agent named `agent_id`, or null.
  std::shared_ptr<agent_cell> find(const std::string& agent_id) const;

  /// Adds `pid` to the subscribers of `topic`; idempotent.
  void subscribe(const std::string& topic, pid_type pid);

  /// Removes `pid` from the subscribers of `topic`; idempotent.
  void unsubscribe(const std::string& topic, pid_type pid);

  /// Returns the live subscribers of `topic`.
  std::vector<std::shared_ptr<agent_cell>>
  subscribers(const std::string& topic) const;

  /// Returns every live agent.
  std::vector<std::shared_ptr<agent_cell>> all() const;

  /// Number of live agents.
  std::size_t size() const;

private:
  claim claim_name(const std::string& agent_id, pid_type pid,
                   std::size_t max_live);

  mutable std::shared_mutex mutex_;
  std::unordered_map<pid_type, std::shared_ptr<agent_cell>> by_pid_;
  std::unordered_map<std::string, pid_type> by_name_;
  std::unordered_map<std::string, std::unordered_set<pid_type>> topics_;
  std::unordered_map<pid_type, std::vector<std::string>> topics_of_;
};

} // namespace corral
