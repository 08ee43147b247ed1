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

served_requests::added served_requests::add(entry request) {
  return table_.add(std::move(request));
}

std::optional<served_requests::entry> served_requests::take(std::uint64_t id) {
  return table_.take(id);
}

std::vector<served_requests::entry>
served_requests::take_expired(clock::time_point now,
                              std::optional<clock::time_point>& next) {
  return table_.take_expired(now, next);
}

void served_requests::clear() {
  table_.close();
}

void served_requests::open() {
  table_.open();
}

std::size_t served_requests::size() const {
  return table_.size();
}

} // namespace corral::remote
