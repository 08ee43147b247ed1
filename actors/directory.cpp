#include "actors/directory.hpp"

#include <algorithm>
#include <limits>
#include <mutex>

namespace corral {

bool directory::add(std::shared_ptr<agent_cell> cell) {
  auto limit = std::numeric_limits<std::size_t>::max();
  return add(std::move(cell), limit).status == claim::ok;
}

directory::claim directory::add(std::shared_ptr<agent_cell> cell,
                                std::size_t max_live) {
  std::unique_lock guard{mutex_};
  auto result = claim_name(cell->agent_id, cell->pid, max_live);
  if (result.status == claim::ok)
    by_pid_.emplace(cell->pid, std::move(cell));
  return result;
}

directory::claim directory::reserve(const std::string& agent_id, pid_type pid,
                                    std::size_t max_live) {
  std::unique_lock guard{mutex_};
  return claim_name(agent_id, pid, max_live);
}

void directory::publish(std::shared_ptr<agent_cell> cell) {
  std::unique_lock guard{mutex_};
  by_pid_.emplace(cell->pid, std::move(cell));
}

void directory::release(const std::string& agent_id, pid_type pid) {
  std::unique_lock guard{mutex_};
  auto name = by_name_.find(agent_id);
  if (name != by_name_.end() && name->second == pid)
    by_name_.erase(name);
}

// The caller holds the lock for writing. One hash lookup claims a free
// name, and a claim beyond `max_live` is given back.
directory::claim directory::claim_name(const std::string& agent_id,
                                       pid_type pid, std::size_t max_live) {
  auto [name, inserted] = by_name_.try_emplace(agent_id, pid);
  if (!inserted)
    return {claim::name_taken, name->second};
  if (by_name_.size() > max_live) {
    by_name_.erase(name);
    return {claim::full, 0};
  }
  return {};
}

void directory::remove(pid_type pid) {
  std::unique_lock guard{mutex_};
  auto i = by_pid_.find(pid);
  if (i == by_pid_.end())
    return;
  auto name = by_name_.find(i->second->agent_id);
  if (name != by_name_.end() && name->second == pid)
    by_name_.erase(name);
  by_pid_.erase(i);
  auto subscribed = topics_of_.find(pid);
  if (subscribed == topics_of_.end())
    return;
  for (const auto& topic : subscribed->second) {
    auto members = topics_.find(topic);
    if (members == topics_.end())
      continue;
    members->second.erase(pid);
    if (members->second.empty())
      topics_.erase(members);
  }
  topics_of_.erase(subscribed);
}

std::shared_ptr<agent_cell> directory::find(pid_type pid) const {
  std::shared_lock guard{mutex_};
  auto i = by_pid_.find(pid);
  return i == by_pid_.end() ? nullptr : i->second;
}

std::shared_ptr<agent_cell>
directory::find(const std::string& agent_id) const {
  std::shared_lock guard{mutex_};
  auto name = by_name_.find(agent_id);
  if (name == by_name_.end())
    return nullptr;
  auto i = by_pid_.find(name->second);
  return i == by_pid_.end() ? nullptr : i->second;
}

void directory::subscribe(const std::string& topic, pid_type pid) {
  std::unique_lock guard{mutex_};
  if (by_pid_.count(pid) == 0)
    return;
  if (!topics_[topic].insert(pid).second)
    return;
  topics_of_[pid].push_back(topic);
}

void directory::unsubscribe(const std::string& topic, pid_type pid) {
  std::unique_lock guard{mutex_};
  auto members = topics_.find(topic);
  if (members == topics_.end() || members->second.erase(pid) == 0)
    return;
  if (members->second.empty())
    topics_.erase(members);
  auto& list = topics_of_[pid];
  list.erase(std::remove(list.begin(), list.end(), topic), list.end());
}

std::vector<std::shared_ptr<agent_cell>>
directory::subscribers(const std::string& topic) const {
  std::shared_lock guard{mutex_};
  std::vector<std::shared_ptr<agent_cell>> result;
  auto members = topics_.find(topic);
  if (members == topics_.end())
    return result;
  for (auto pid : members->second) {
    auto i = by_pid_.find(pid);
    if (i != by_pid_.end())
      result.push_back(i->second);
  }
  return result;
}

std::vector<std::shared_ptr<agent_cell>> directory::all() const {
  std::shared_lock guard{mutex_};
  std::vector<std::shared_ptr<agent_cell>> result;
  result.reserve(by_pid_.size());
  for (const auto& entry : by_pid_)
    result.push_back(entry.second);
  return result;
}

std::size_t directory::size() const {
  std::shared_lock guard{mutex_};
  return by_pid_.size();
}

} // namespace corral
