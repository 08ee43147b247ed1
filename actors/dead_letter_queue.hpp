#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "serialization/process_info.hpp"

namespace corral {

/// The node's bounded queue of undeliverable messages. When full, the
/// oldest letter is dropped and counted. Thread-safe, because hosting
/// actors post to it directly.
class dead_letter_queue {
public:
  /// Creates a queue that keeps at most `capacity` letters.
  explicit dead_letter_queue(std::size_t capacity = 1024);

  /// Appends a letter, dropping the oldest one when full.
  void post(dead_letter letter);

  /// Returns the kept letters, oldest first.
  std::vector<dead_letter> snapshot() const;

  /// Letters posted since the node started, dropped ones included.
  std::uint64_t total() const;

  /// Letters dropped because the queue was full.
  std::uint64_t dropped() const;

private:
  mutable std::mutex mutex_;
  std::size_t capacity_;
  std::deque<dead_letter> letters_;
  std::uint64_t total_ = 0;
  std::uint64_t dropped_ = 0;
};

} // namespace corral
