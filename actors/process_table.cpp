#include "actors/process_table.hpp"

#include <algorithm>

#include "actors/error.hpp"

namespace corral {

bool is_valid_transition(process_state from, process_state to) {
  using ps = process_state;
  switch (from) {
    case ps::starting:
      return to == ps::running || to == ps::stopping || to == ps::exited;
    case ps::running:
      return to == ps::suspended || to == ps::stopping || to == ps::exited;
    case ps::suspended:
      return to == ps::running || to == ps::stopping || to == ps::exited;
    case ps::stopping:
      return to == ps::exited;
    case ps::exited:
      return false;
  }
  return false;
}

std::optional<std::size_t> supervisor_state::slot_of(pid_type pid) const {
  auto i = index_.find(pid);
  if (i == index_.end())
    return std::nullopt;
  return i->second;
}

void supervisor_state::add(std::shared_ptr<const stored_request> request,
                           pid_type pid, std::uint32_t restart_count) {
  child_slot slot;
  slot.request = std::move(request);
  slot.restart_count = restart_count;
  children.push_back(std::move(slot));
  set_pid(children.size() - 1, pid);
}

void supervisor_state::set_pid(std::size_t index, pid_type pid) {
  auto& slot = children[index];
  if (slot.pid != 0)
    index_.erase(slot.pid);
  slot.pid = pid;
  if (pid != 0)
    index_[pid] = index;
}

void supervisor_state::remove(std::size_t index) {
  auto& slot = children[index];
  if (slot.removed)
    return;
  set_pid(index, 0);
  slot.removed = true;
  slot.restart_pending = false;
  slot.request.reset();
  ++removed_;
}

void supervisor_state::compact() {
  if (removed_ < 16 || removed_ * 2 < children.size())
    return;
  children.erase(std::remove_if(children.begin(), children.end(),
                                [](const child_slot& x) { return x.removed; }),
                 children.end());
  index_.clear();
  for (std::size_t i = 0; i < children.size(); ++i)
    if (children[i].pid != 0)
      index_[children[i].pid] = i;
  removed_ = 0;
}

process_extras& process_entry::extras() {
  if (!extras_)
    extras_ = std::make_unique<process_extras>();
  return *extras_;
}

supervisor_state& process_entry::supervision() {
  if (!supervision_) {
    supervision_ = std::make_unique<supervisor_state>();
    // NOTE: a request whose bytes do not decode (only a bug in the binary
    // forms could cause it) gets the default supervision spec.
    if (auto full = request->unpack())
      supervision_->spec = (*full)->supervision;
  }
  return *supervision_;
}

process_table::process_table(std::size_t history_size)
  : history_size_(history_size) {
}

process_entry& process_table::insert(process_entry entry) {
  auto pid = entry.pid();
  return live_.emplace(pid, std::move(entry)).first->second;
}

process_entry* process_table::find(pid_type pid) {
  auto i = live_.find(pid);
  return i == live_.end() ? nullptr : &i->second;
}

const process_info* process_table::find_exited(pid_type pid) const {
  for (auto i = history_.rbegin(); i != history_.rend(); ++i)
    if (i->pid == pid)
      return &*i;
  return nullptr;
}

const process_info*
process_table::find_exited(const std::string& agent_id) const {
  for (auto i = history_.rbegin(); i != history_.rend(); ++i)
    if (i->agent_id == agent_id)
      return &*i;
  return nullptr;
}

caf::error process_table::transition(process_entry& entry, process_state to) {
  auto from = entry.state;
  if (!is_valid_transition(from, to))
    return make_error(errc::invalid_state_transition,
                      "agent " + entry.agent_id() + " (pid "
                        + std::to_string(entry.pid()) + ") cannot go from "
                        + to_string(from) + " to " + to_string(to));
  entry.state = to;
  entry.cell->state.store(to);
  return {};
}

void process_table::retire(pid_type pid, process_info last,
                           const exit_reason& reason) {
  auto i = live_.find(pid);
  if (i == live_.end())
    return;
  i->second.cell->state.store(process_state::exited);
  last.state = process_state::exited;
  last.exit = reason;
  history_.push_back(std::move(last));
  live_.erase(i);
  while (history_.size() > history_size_)
    history_.pop_front();
}

std::vector<process_entry*> process_table::live() {
  std::vector<process_entry*> result;
  result.reserve(live_.size());
  for (auto& [pid, entry] : live_)
    result.push_back(&entry);
  std::sort(result.begin(), result.end(),
            [](const process_entry* x, const process_entry* y) {
              return x->pid() < y->pid();
            });
  return result;
}

} // namespace corral
