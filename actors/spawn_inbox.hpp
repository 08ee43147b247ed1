#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <caf/actor.hpp>

#include "actors/agent_cell.hpp"
#include "actors/directory.hpp"
#include "actors/stored_request.hpp"

namespace corral {

/// An agent that a caller spawned on its own thread (`spawn_here`), not yet
/// in the kernel's process table, or, with a null cell, a watcher to add.
struct local_spawn {
  std::shared_ptr<agent_cell> cell;
  /// The request without its agent_id, which the cell holds. The kernel
  /// packs it (`stored_request`), so that the caller does not allocate for
  /// it. A plain spawn waiting here takes 120 bytes (sizeof on x86-64)
  /// instead of a copy of the 616-byte request, which keeps the backlog
  /// small when the kernel falls behind.
  request_fields request;
  /// Subscribes to every state change after the spawns queued before it.
  caf::actor watcher;
  /// Set when `watcher` is to be removed instead, in order with spawns.
  bool unwatch = false;
};

/// Hands spawns done outside the kernel to the kernel. The kernel drains
/// the inbox before it handles any message, and `push` publishes an agent
/// in the directory under the inbox's lock, so whatever message names a
/// new agent finds it in the kernel's table. Thread-safe.
class spawn_inbox {
public:
  /// The outcome of `push`.
  struct push_result {
    /// The directory's claim. The spawn is queued only when it is ok.
    directory::claim claim;
    /// Set when the node shuts down. Nothing was queued or published.
    bool closed = false;
    /// Set when the inbox was empty before, so the kernel needs a message
    /// to drain it soon.
    bool first = false;
  };

  /// Publishes `spawn.cell` in `agents` (at most `max_live` live names)
  /// and queues the spawn for the kernel.
  push_result push(local_spawn&& spawn, directory& agents,
                   std::size_t max_live);

  /// Queues `watcher` for the kernel's watch list, after the spawns queued
  /// so far, also after `close`. Returns true when the inbox was empty, so
  /// the kernel needs a message to drain it soon.
  bool push_watcher(caf::actor watcher, bool unwatch = false);

  /// Returns the queued spawns in push order and empties the inbox.
  std::vector<local_spawn> take();

  /// Takes back a vector that `take` returned, once the kernel has handled
  /// its items, so that later pushes reuse its capacity instead of growing
  /// a new vector. Keeps at most `max_spare` items of capacity.
  void recycle(std::vector<local_spawn>&& batch);

  /// True when spawns wait. A cheap check before `take`.
  bool has_items() const {
    return has_items_.load(std::memory_order_acquire);
  }

  /// Makes every later `push` fail, because the node shuts down.
  void close();

  /// The largest capacity that `recycle` keeps (about 30 KiB), so that a
  /// burst of spawns does not hold its memory for the node's life.
  static constexpr std::size_t max_spare = 256;

private:
  std::mutex mutex_;
  std::vector<local_spawn> items_;
  /// An empty vector with capacity, which `take` puts in place of `items_`.
  std::vector<local_spawn> spare_;
  std::atomic<bool> has_items_{false};
  bool closed_ = false;
};

} // namespace corral
