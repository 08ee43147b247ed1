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

outbound_requests::added outbound_requests::add(entry request) {
  request.deadline = clock::now() + request.timeout;
  return table_.add(std::move(request));
}

std::optional<outbound_requests::entry>
outbound_requests::take(std::uint64_t id) {
  return table_.take(id);
}

std::optional<outbound_requests::entry>
outbound_requests::take_from(std::uint64_t id, const std::string& node) {
  return table_.take_if(id,
                        [&node](const entry& x) { return x.node == node; });
}

std::vector<outbound_requests::entry>
outbound_requests::take_all_to(const std::string& node) {
  return table_.take_all_if([&node](const entry& x) { return x.node == node; });
}

std::vector<outbound_requests::entry> outbound_requests::take_all() {
  return table_.take_all();
}

void outbound_requests::disarm() {
  table_.disarm();
}

std::vector<outbound_requests::entry>
outbound_requests::take_expired(clock::time_point now,
                                std::optional<clock::time_point>& next) {
  return table_.take_expired(now, next);
}

std::size_t outbound_requests::size() const {
  return table_.size();
}

} // namespace corral::remote
