#include "net/handler_pool.hpp"

#include <algorithm>

namespace corral {

handler_pool::handler_pool(std::size_t threads, std::size_t max_pending)
  : max_pending_(max_pending) {
  threads = std::max<std::size_t>(threads, 1);
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i)
    threads_.emplace_back([this] { run(); });
}

handler_pool::~handler_pool() {
  stop();
}

bool handler_pool::try_submit(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (stopping_ || jobs_.size() >= max_pending_)
      return false;
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
  return true;
}

void handler_pool::stop() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
    jobs_.clear();
  }
  ready_.notify_all();
  for (auto& thread : threads_)
    if (thread.joinable())
      thread.join();
  threads_.clear();
}

void handler_pool::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> guard{mutex_};
      ready_.wait(guard, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_)
        return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

} // namespace corral
