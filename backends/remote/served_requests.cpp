#include "backends/remote/served_requests.hpp"

namespace corral::remote {

message failure_reply_to(const message& request) {
  message reply;
  reply.from = request.to;
  reply.to = request.from;
  reply.topic = request.topic;
  reply.correlation_id = request.correlation_id;
  reply.trace_id = request.trace_id;
  reply.kind = message_kind::failure;
  return reply;
}

// One timer is armed at a time, for the earliest deadline, as in
// pending_requests: a timer per request would cost the clock thread's
// mutex and condition variable on every request.
served_requests::added served_requests::add(entry request) {
  std::lock_guard<std::mutex> guard{mutex_};
  added result;
  if (closed_)
    return result;
  result.id = next_id_++;
  auto deadline = request.deadline;
  deadlines_.emplace(deadline, result.id);
  entries_.emplace(result.id, std::move(request));
  if (!armed_ || deadline < armed_for_) {
    armed_ = true;
    armed_for_ = deadline;
    result.arm = true;
    result.delay = std::chrono::duration_cast<std::chrono::microseconds>(
      deadline - clock::now());
    if (result.delay.count() < 0)
      result.delay = std::chrono::microseconds{0};
  }
  return result;
}

std::optional<served_requests::entry> served_requests::take(std::uint64_t id) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = entries_.find(id);
  if (i == entries_.end())
    return std::nullopt;
  auto [first, last] = deadlines_.equal_range(i->second.deadline);
  for (auto j = first; j != last; ++j) {
    if (j->second == id) {
      deadlines_.erase(j);
      break;
    }
  }
  auto result = std::move(i->second);
  entries_.erase(i);
  return result;
}

std::vector<served_requests::entry>
served_requests::take_expired(clock::time_point now,
                              std::optional<clock::time_point>& next) {
  std::vector<entry> result;
  std::lock_guard<std::mutex> guard{mutex_};
  armed_ = false;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    auto id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto i = entries_.find(id);
    result.push_back(std::move(i->second));
    entries_.erase(i);
  }
  next.reset();
  if (!deadlines_.empty()) {
    next = deadlines_.begin()->first;
    armed_ = true;
    armed_for_ = *next;
  }
  return result;
}

void served_requests::clear() {
  std::lock_guard<std::mutex> guard{mutex_};
  entries_.clear();
  deadlines_.clear();
  armed_ = false;
  closed_ = true;
}

void served_requests::open() {
  std::lock_guard<std::mutex> guard{mutex_};
  closed_ = false;
}

std::size_t served_requests::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return entries_.size();
}

} // namespace corral::remote
