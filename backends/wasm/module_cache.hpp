#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <caf/expected.hpp>

#include "backends/wasm/compiled_module.hpp"
#include "backends/wasm/module_compiler.hpp"

namespace corral::wasm {

/// Modules by the SHA-256 of their file's bytes, so that many agents of one
/// module parse and validate it once. Thread-safe; keeps the most recently
/// used `capacity` modules (live instances keep theirs regardless).
class module_cache {
public:
  /// Creates a cache holding up to `capacity` modules.
  explicit module_cache(std::size_t capacity = 64) : capacity_(capacity) {
  }

  /// Reads the module at `path` and returns it from the cache or compiles
  /// it. Errors are `spawn_failed` naming the file and the problem.
  caf::expected<std::shared_ptr<const compiled_module>>
  load(const std::string& path);

  /// Returns the module whose bytes have SHA-256 `sha256`: from the cache,
  /// else compiled from the bytes `store` contains under that hash (shipped
  /// by another node), else read from `path`. Fails with `spawn_failed`
  /// when the file's bytes have another hash.
  caf::expected<std::shared_ptr<const compiled_module>>
  load_by_hash(const std::string& path, const std::string& sha256,
               module_store& store);

  /// Returns the module with this hash if it is cached, else null.
  std::shared_ptr<const compiled_module> find(const std::string& sha256);

  /// Number of modules compiled since the cache was created.
  std::uint64_t compiled() const;

  /// Number of loads served from the cache.
  std::uint64_t hits() const;

private:
  using lru_list = std::list<std::string>;
  struct entry {
    std::shared_ptr<const compiled_module> module;
    lru_list::iterator position;
  };

  // What a file looked like when it was last hashed; a spawn whose file
  // still matches skips reading and hashing it again.
  struct file_stamp {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::string sha256;
  };

  void insert(std::shared_ptr<const compiled_module> module);
  caf::expected<std::shared_ptr<const compiled_module>>
  compile_and_insert(const std::string& path, const std::string& bytes,
                     const std::string& sha256);
  std::shared_ptr<const compiled_module> find_unchanged(
    const std::string& path, file_stamp& stamp);

  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::map<std::string, entry> entries_;
  lru_list order_;
  std::map<std::string, file_stamp> stamps_;
  std::uint64_t compiled_ = 0;
  std::uint64_t hits_ = 0;
};

} // namespace corral::wasm
