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

std::uint64_t outbound_requests::add(entry request) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto id = next_id_++;
  entries_.emplace(id, std::move(request));
  return id;
}

std::optional<outbound_requests::entry>
outbound_requests::take(std::uint64_t id) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = entries_.find(id);
  if (i == entries_.end())
    return std::nullopt;
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
  return result;
}

std::size_t outbound_requests::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return entries_.size();
}

} // namespace corral::remote
