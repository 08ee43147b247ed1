#include "tests/harness/recorder.hpp"

#include <algorithm>

namespace corral::testing {

void recorder::add(observation x) {
  {
    std::lock_guard guard{mutex_};
    items_.push_back(std::move(x));
  }
  changed_.notify_all();
}

std::optional<observation>
recorder::wait_for(const std::function<bool(const observation&)>& match,
                   std::chrono::milliseconds timeout) {
  std::unique_lock guard{mutex_};
  std::optional<observation> found;
  changed_.wait_for(guard, timeout, [&] {
    auto i = std::find_if(items_.begin(), items_.end(), match);
    if (i == items_.end())
      return false;
    found = *i;
    return true;
  });
  return found;
}

std::vector<observation> recorder::all() const {
  std::lock_guard guard{mutex_};
  return items_;
}

std::size_t recorder::count(const std::string& kind) const {
  std::lock_guard guard{mutex_};
  return static_cast<std::size_t>(
    std::count_if(items_.begin(), items_.end(),
                  [&](const observation& x) { return x.kind == kind; }));
}

} // namespace corral::testing
