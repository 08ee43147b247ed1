#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace corral {

/// Largest WebAssembly module a node reads from a file or accepts from
/// another node, in bytes.
inline constexpr std::size_t max_module_bytes = 64u * 1024 * 1024;

/// Returns the lowercase hex SHA-256 of `bytes`.
std::string sha256_hex(const std::string& bytes);

/// Counters of a module store, for `corral stats`.
struct module_store_stats {
  /// Modules held now, and their bytes.
  std::size_t modules = 0;
  std::size_t bytes = 0;
  /// Modules this node sent to other nodes that lacked them.
  std::uint64_t sent = 0;
  /// Modules this node received from other nodes and stored.
  std::uint64_t received = 0;
  /// Spawns for other nodes whose module this node already held.
  std::uint64_t reused = 0;
};

/// Module bytes by their SHA-256, so that a module travels to a node once
/// and spawns there later name it by hash alone. Thread-safe. Keeps the most
/// recently used modules within a count and a byte bound; a caller that
/// still has a module's pointer keeps its bytes alive after eviction.
class module_store {
public:
  /// Creates a store of at most `capacity` modules and `max_bytes` bytes.
  explicit module_store(std::size_t capacity = 64,
                        std::size_t max_bytes = 256u * 1024 * 1024)
    : capacity_(capacity), max_bytes_(max_bytes) {
  }

  /// Stores `bytes` under `sha256`, which the caller has computed or
  /// checked, and returns the stored bytes.
  std::shared_ptr<const std::string> insert(const std::string& sha256,
                                            std::string bytes);

  /// Returns the bytes with this hash and marks them recently used, or null.
  std::shared_ptr<const std::string> find(const std::string& sha256);

  /// Removes the bytes with this hash, e.g. after they failed validation.
  void erase(const std::string& sha256);

  /// Counts a module sent to another node.
  void count_sent() {
    sent_.fetch_add(1, std::memory_order_relaxed);
  }

  /// Counts a module received from another node.
  void count_received() {
    received_.fetch_add(1, std::memory_order_relaxed);
  }

  /// Counts a spawn for another node that found its module here.
  void count_reused() {
    reused_.fetch_add(1, std::memory_order_relaxed);
  }

  /// Returns the counters.
  module_store_stats stats() const;

private:
  using lru_list = std::list<std::string>;
  struct entry {
    std::shared_ptr<const std::string> bytes;
    lru_list::iterator position;
  };

  void evict_locked();

  std::size_t capacity_;
  std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::map<std::string, entry> entries_;
  lru_list order_;
  std::size_t total_bytes_ = 0;
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> reused_{0};
};

} // namespace corral
