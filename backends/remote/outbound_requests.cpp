#include "backends/remote/outbound_requests.hpp"

#include <caf/all.hpp>

namespace corral::remote {

reply_address address_of(const caf::response_promise& promise,
                         caf::strong_actor_ptr replier) {
  return {promise.source(), promise.stages(), promise.id(),
          std::move(replier)};
}

// The same steps as caf::response_promise::deliver in CAF 0.17.6: a
// request that was forwarded through stages goes on to the next stage as
// a request, and one without stages returns to its source as a response.
// A null execution unit makes the enqueue schedule the receiver from
// outside the scheduler, which is safe on any thread.
void deliver_reply(reply_address& to, caf::message content) {
  if (!to.stages.empty()) {
    auto next = std::move(to.stages.back());
    to.stages.pop_back();
    next->enqueue(caf::make_mailbox_element(std::move(to.source), to.id,
                                            std::move(to.stages),
                                            std::move(content)),
                  nullptr);
    return;
  }
  if (!to.source)
    return;
  to.source->enqueue(caf::make_mailbox_element(std::move(to.replier),
                                               to.id.response_id(), {},
                                               std::move(content)),
                     nullptr);
  to.source.reset();
}

// One timer is armed at a time, for the earliest deadline, as in
// served_requests: a CAF timer per request costs the clock thread's mutex
// and condition variable on every request.
outbound_requests::added outbound_requests::add(entry request) {
  auto now = clock::now();
  request.deadline = now + request.timeout;
  std::lock_guard<std::mutex> guard{mutex_};
  added result;
  result.id = next_id_++;
  auto deadline = request.deadline;
  deadlines_.emplace(deadline, result.id);
  entries_.emplace(result.id, std::move(request));
  if (!armed_ || deadline < armed_for_) {
    armed_ = true;
    armed_for_ = deadline;
    result.arm = true;
    // Rounded up, so that the timer never fires before the deadline:
    // `take_expired` would then find nothing to take and keep the timer
    // as still due.
    result.delay = std::chrono::ceil<std::chrono::microseconds>(deadline
                                                                - now);
  }
  return result;
}

void outbound_requests::erase_deadline(clock::time_point deadline,
                                       std::uint64_t id) {
  auto [first, last] = deadlines_.equal_range(deadline);
  for (auto i = first; i != last; ++i) {
    if (i->second == id) {
      deadlines_.erase(i);
      return;
    }
  }
}

std::optional<outbound_requests::entry>
outbound_requests::take(std::uint64_t id) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = entries_.find(id);
  if (i == entries_.end())
    return std::nullopt;
  erase_deadline(i->second.deadline, id);
  auto result = std::move(i->second);
  entries_.erase(i);
  return result;
}

std::optional<outbound_requests::entry>
outbound_requests::take_from(std::uint64_t id, const std::string& node) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = entries_.find(id);
  if (i == entries_.end() || i->second.node != node)
    return std::nullopt;
  erase_deadline(i->second.deadline, id);
  auto result = std::move(i->second);
  entries_.erase(i);
  return result;
}

std::vector<outbound_requests::entry>
outbound_requests::take_all_to(const std::string& node) {
  std::vector<entry> result;
  std::lock_guard<std::mutex> guard{mutex_};
  for (auto i = entries_.begin(); i != entries_.end();) {
    if (i->second.node != node) {
      ++i;
      continue;
    }
    erase_deadline(i->second.deadline, i->first);
    result.push_back(std::move(i->second));
    i = entries_.erase(i);
  }
  return result;
}

std::vector<outbound_requests::entry> outbound_requests::take_all() {
  std::vector<entry> result;
  std::lock_guard<std::mutex> guard{mutex_};
  for (auto& [id, request] : entries_)
    result.push_back(std::move(request));
  entries_.clear();
  deadlines_.clear();
  return result;
}

void outbound_requests::disarm() {
  std::lock_guard<std::mutex> guard{mutex_};
  armed_ = false;
}

// Timers fire at or after the time they were armed for, so a timer armed
// for a time after `now` has not fired yet and still ends the requests
// due by then. Any other timer that fires (one armed before an earlier
// deadline came) re-arms at most once, so no more timers are in flight
// than were armed.
std::vector<outbound_requests::entry>
outbound_requests::take_expired(clock::time_point now,
                                std::optional<clock::time_point>& next) {
  std::vector<entry> result;
  std::lock_guard<std::mutex> guard{mutex_};
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    auto id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto i = entries_.find(id);
    result.push_back(std::move(i->second));
    entries_.erase(i);
  }
  next.reset();
  if (armed_ && armed_for_ > now)
    return result;
  armed_ = false;
  if (!deadlines_.empty()) {
    next = deadlines_.begin()->first;
    armed_ = true;
    armed_for_ = *next;
  }
  return result;
}

std::size_t outbound_requests::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return entries_.size();
}

} // namespace corral::remote
