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

namespace corral::wasm {

/// Largest module file the node reads.
inline constexpr std::size_t max_module_file_bytes = 64u * 1024 * 1024;

/// Most locals one function may declare; bounds the value stack that one
/// call can claim before the stack limit is checked.
inline constexpr std::uint64_t max_function_locals = 10'000;

/// Most table elements one instance may have, over all its tables. wabt
/// allocates every element (8 bytes) when a table is created or grown, so
/// an uncapped table would take node memory outside `memory_bytes`.
inline constexpr std::uint64_t max_table_elements = 1'000'000;

/// Deepest nesting of parentheses and blocks accepted in WAT text. wabt's
/// text parser recurses once per level, and about 15,000 levels overflow
/// an 8 MiB thread stack (wabt 1.0.32, Release build); 1,000 levels need
/// well under 1 MiB. Binary modules are read without recursion.
inline constexpr std::size_t max_wat_nesting = 1'000;

/// Parses and validates `bytes` (binary, or WAT text when `text` is true)
/// into a module named `path` in messages. Errors are `spawn_failed` with
/// the reason; used by the cache and by the fuzz target.
caf::expected<std::shared_ptr<const compiled_module>>
compile_module(const std::string& path, const std::string& bytes, bool text);

/// Turns a wabt value type list into "(i32 i64)", for messages.
std::string type_list(const wabt::interp::ValueTypes& types);

/// Returns the hex SHA-256 of `bytes`.
std::string sha256_hex(const std::string& bytes);

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

  /// Returns the module with this hash if it is cached, else null.
  std::shared_ptr<const compiled_module> find(const std::string& sha256);

  /// Number of modules compiled since the cache was created.
  std::uint64_t compiled() const;

  /// Number of loads answered from the cache.
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
