#include "backends/container/task_group.hpp"

#include <thread>

namespace corral::container {

void task_group::run(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    ++running_;
  }
  std::thread{[self = shared_from_this(), task = std::move(task)] {
    task();
    std::lock_guard<std::mutex> guard{self->mutex_};
    --self->running_;
    self->idle_.notify_all();
  }}.detach();
}

std::size_t task_group::wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock{mutex_};
  idle_.wait_for(lock, timeout, [this] { return running_ == 0; });
  return running_;
}

} // namespace corral::container
