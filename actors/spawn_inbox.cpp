#include "actors/spawn_inbox.hpp"

namespace corral {

spawn_inbox::push_result spawn_inbox::push(local_spawn&& spawn,
                                           directory& agents,
                                           std::size_t max_live) {
  push_result result;
  std::lock_guard guard{mutex_};
  if (closed_) {
    result.closed = true;
    return result;
  }
  // Queued before it is published: a message that names the agent may
  // reach the kernel as soon as the directory lists it, and the kernel's
  // `has_items` check must then see the spawn.
  result.first = items_.empty();
  auto cell = spawn.cell;
  items_.push_back(std::move(spawn));
  has_items_.store(true, std::memory_order_release);
  result.claim = agents.add(std::move(cell), max_live);
  if (result.claim.status != directory::claim::ok) {
    items_.pop_back();
    has_items_.store(!items_.empty(), std::memory_order_release);
    result.first = false;
  }
  return result;
}

bool spawn_inbox::push_watcher(caf::actor watcher, bool unwatch) {
  std::lock_guard guard{mutex_};
  auto first = items_.empty();
  local_spawn item;
  item.watcher = std::move(watcher);
  item.unwatch = unwatch;
  items_.push_back(std::move(item));
  has_items_.store(true, std::memory_order_release);
  return first;
}

std::vector<local_spawn> spawn_inbox::take() {
  std::vector<local_spawn> result;
  std::lock_guard guard{mutex_};
  result.swap(items_);
  items_.swap(spare_);
  has_items_.store(false, std::memory_order_release);
  return result;
}

void spawn_inbox::recycle(std::vector<local_spawn>&& batch) {
  batch.clear();
  if (batch.capacity() > max_spare)
    return;
  std::lock_guard guard{mutex_};
  if (batch.capacity() > spare_.capacity())
    spare_.swap(batch);
}

void spawn_inbox::close() {
  std::lock_guard guard{mutex_};
  closed_ = true;
}

} // namespace corral
