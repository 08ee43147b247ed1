#include "net/control_stream_registry.hpp"

namespace corral {

control_stream_registry::control_stream_registry(
  std::shared_ptr<control_outbox> outbox)
  : outbox_(std::move(outbox)) {
}

std::shared_ptr<control_stream>
control_stream_registry::open(std::string identity, bool delimiter,
                              control_stream::close_callback on_close) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto id = next_id_++;
  auto stream = std::make_shared<control_stream>(id, std::move(identity),
                                                 delimiter, outbox_,
                                                 std::move(on_close));
  streams_.emplace(id, stream);
  return stream;
}

std::shared_ptr<control_stream>
control_stream_registry::find(std::uint64_t id) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = streams_.find(id);
  if (i == streams_.end() || !i->second->is_open())
    return nullptr;
  return i->second;
}

std::vector<std::shared_ptr<control_stream>> control_stream_registry::prune() {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<std::shared_ptr<control_stream>> active;
  for (auto i = streams_.begin(); i != streams_.end();) {
    if (!i->second->is_open()) {
      i = streams_.erase(i);
      continue;
    }
    if (i->second->is_active())
      active.push_back(i->second);
    ++i;
  }
  return active;
}

void control_stream_registry::close_all(const std::string& reason) {
  // Close outside the lock: close callbacks may call back into the
  // registry's users.
  std::map<std::uint64_t, std::shared_ptr<control_stream>> streams;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    streams.swap(streams_);
  }
  for (auto& entry : streams)
    entry.second->close(reason);
}

} // namespace corral
