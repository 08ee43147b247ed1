#include "actors/module_store.hpp"

#include <sodium.h>

namespace corral {

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest,
                     reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size());
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof digest);
  for (auto byte : digest) {
    out += hex[byte >> 4];
    out += hex[byte & 0xf];
  }
  return out;
}

std::shared_ptr<const std::string>
module_store::insert(const std::string& sha256, std::string bytes) {
  std::lock_guard<std::mutex> guard(mutex_);
  auto i = entries_.find(sha256);
  if (i != entries_.end()) {
    order_.splice(order_.begin(), order_, i->second.position);
    return i->second.bytes;
  }
  auto stored = std::make_shared<const std::string>(std::move(bytes));
  order_.push_front(sha256);
  entries_.emplace(sha256, entry{stored, order_.begin()});
  total_bytes_ += stored->size();
  evict_locked();
  return stored;
}

// The newest module stays even when it alone exceeds the byte bound, so
// that a spawn that just stored it finds it.
void module_store::evict_locked() {
  while (entries_.size() > 1
         && (entries_.size() > capacity_ || total_bytes_ > max_bytes_)) {
    auto oldest = entries_.find(order_.back());
    total_bytes_ -= oldest->second.bytes->size();
    entries_.erase(oldest);
    order_.pop_back();
  }
}

std::shared_ptr<const std::string>
module_store::find(const std::string& sha256) {
  std::lock_guard<std::mutex> guard(mutex_);
  auto i = entries_.find(sha256);
  if (i == entries_.end())
    return nullptr;
  order_.splice(order_.begin(), order_, i->second.position);
  return i->second.bytes;
}

void module_store::erase(const std::string& sha256) {
  std::lock_guard<std::mutex> guard(mutex_);
  auto i = entries_.find(sha256);
  if (i == entries_.end())
    return;
  total_bytes_ -= i->second.bytes->size();
  order_.erase(i->second.position);
  entries_.erase(i);
}

module_store_stats module_store::stats() const {
  module_store_stats out;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    out.modules = entries_.size();
    out.bytes = total_bytes_;
  }
  out.sent = sent_.load(std::memory_order_relaxed);
  out.received = received_.load(std::memory_order_relaxed);
  out.reused = reused_.load(std::memory_order_relaxed);
  return out;
}

} // namespace corral
