#include "backends/wasm/module_cache.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <sys/stat.h>

#include "actors/error.hpp"

namespace corral::wasm {

caf::expected<std::shared_ptr<const compiled_module>>
module_cache::load(const std::string& path) {
  if (path.empty())
    return make_error(errc::spawn_failed,
                      "the Wasm backend needs a module path; set "
                      "backend.Wasm.module to a .wasm or .wat file");
  file_stamp stamp;
  if (auto unchanged = find_unchanged(path, stamp))
    return unchanged;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return module_error(path, std::string("cannot be read: ")
                                + std::strerror(errno));
  std::string bytes;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    bytes.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > max_module_file_bytes)
      return module_error(path, "is larger than the limit of "
                                  + std::to_string(max_module_file_bytes)
                                  + " bytes");
  }
  if (in.bad())
    return module_error(path, std::string("cannot be read: ")
                                + std::strerror(errno));
  auto hash = sha256_hex(bytes);
  if (stamp.size == bytes.size()) {
    // The file did not change size while it was read, so the stamp taken
    // before reading describes these bytes.
    stamp.sha256 = hash;
    std::lock_guard<std::mutex> guard(mutex_);
    if (stamps_.size() >= 4 * capacity_)
      stamps_.clear();
    stamps_[path] = stamp;
  }
  if (auto cached = find(hash))
    return cached;
  return compile_and_insert(path, bytes, hash);
}

caf::expected<std::shared_ptr<const compiled_module>>
module_cache::compile_and_insert(const std::string& path,
                                 const std::string& bytes,
                                 const std::string& sha256) {
  auto compiled = compile_module(path, bytes, is_text_module(path, bytes));
  if (!compiled)
    return compiled.error();
  auto module = std::const_pointer_cast<compiled_module>(*compiled);
  module->sha256 = sha256;
  insert(module);
  return std::shared_ptr<const compiled_module>{std::move(module)};
}

caf::expected<std::shared_ptr<const compiled_module>>
module_cache::load_by_hash(const std::string& path, const std::string& sha256,
                           module_store& store) {
  if (auto cached = find(sha256))
    return cached;
  if (auto bytes = store.find(sha256))
    return compile_and_insert(path, *bytes, sha256);
  auto loaded = load(path);
  if (!loaded)
    return loaded.error();
  if ((*loaded)->sha256 != sha256)
    return module_error(path, "has SHA-256 " + (*loaded)->sha256
                                + ", but the spawn expects " + sha256
                                + "; spawn with the module's current hash "
                                  "or without backend.Wasm.sha256");
  return loaded;
}

// NOTE: a file rewritten with the same size within the file system's
// timestamp resolution looks unchanged; the old module is then used.
std::shared_ptr<const compiled_module>
module_cache::find_unchanged(const std::string& path, file_stamp& stamp) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode))
    return nullptr;
  stamp.device = static_cast<std::uint64_t>(info.st_dev);
  stamp.inode = static_cast<std::uint64_t>(info.st_ino);
  stamp.size = static_cast<std::uint64_t>(info.st_size);
  stamp.mtime_ns = static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000
                   + info.st_mtim.tv_nsec;
  std::string hash;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    auto i = stamps_.find(path);
    if (i == stamps_.end() || i->second.device != stamp.device
        || i->second.inode != stamp.inode || i->second.size != stamp.size
        || i->second.mtime_ns != stamp.mtime_ns)
      return nullptr;
    hash = i->second.sha256;
  }
  return find(hash);
}

std::shared_ptr<const compiled_module>
module_cache::find(const std::string& sha256) {
  std::lock_guard<std::mutex> guard(mutex_);
  auto i = entries_.find(sha256);
  if (i == entries_.end())
    return nullptr;
  order_.splice(order_.begin(), order_, i->second.position);
  ++hits_;
  return i->second.module;
}

void module_cache::insert(std::shared_ptr<const compiled_module> module) {
  std::lock_guard<std::mutex> guard(mutex_);
  ++compiled_;
  auto key = module->sha256;
  auto i = entries_.find(key);
  if (i != entries_.end()) {
    i->second.module = std::move(module);
    return;
  }
  order_.push_front(key);
  entries_.emplace(key, entry{std::move(module), order_.begin()});
  while (entries_.size() > capacity_) {
    entries_.erase(order_.back());
    order_.pop_back();
  }
}

std::uint64_t module_cache::compiled() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return compiled_;
}

std::uint64_t module_cache::hits() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return hits_;
}

} // namespace corral::wasm
