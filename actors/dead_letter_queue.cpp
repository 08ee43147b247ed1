#include "actors/dead_letter_queue.hpp"

namespace corral {

dead_letter_queue::dead_letter_queue(std::size_t capacity)
  : capacity_(capacity == 0 ? 1 : capacity) {
}

void dead_letter_queue::post(dead_letter letter) {
  std::lock_guard guard{mutex_};
  ++total_;
  if (letters_.size() == capacity_) {
    letters_.pop_front();
    ++dropped_;
  }
  letters_.push_back(std::move(letter));
}

std::vector<dead_letter> dead_letter_queue::snapshot() const {
  std::lock_guard guard{mutex_};
  return {letters_.begin(), letters_.end()};
}

std::uint64_t dead_letter_queue::total() const {
  std::lock_guard guard{mutex_};
  return total_;
}

std::uint64_t dead_letter_queue::dropped() const {
  std::lock_guard guard{mutex_};
  return dropped_;
}

} // namespace corral
