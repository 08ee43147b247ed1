#include "net/control_stream.hpp"

#include "net/control_protocol.hpp"

namespace corral {

control_stream::control_stream(std::uint64_t id, std::string identity,
                               bool delimiter,
                               std::shared_ptr<control_outbox> outbox,
                               close_callback on_close)
  : id_(id),
    identity_(std::move(identity)),
    delimiter_(delimiter),
    outbox_(std::move(outbox)),
    on_close_(std::move(on_close)) {
}

bool control_stream::post(nlohmann::json event) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (!open_)
    return false;
  auto frame = make_frame(std::move(event));
  if (!active_) {
    waiting_.push_back(std::move(frame));
    return true;
  }
  return outbox_->push(std::move(frame));
}

void control_stream::close(const std::string& reason) {
  close_callback callback;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (!open_)
      return;
    auto frame = make_frame({{"event", "end"}, {"reason", reason}});
    if (active_)
      outbox_->push(std::move(frame));
    else
      waiting_.push_back(std::move(frame));
    callback = close_locked();
  }

  // Outside the lock, so that the callback may post to other streams or
  // query this one.
  if (callback)
    callback();
}

bool control_stream::is_open() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return open_;
}

bool control_stream::is_active() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return open_ && active_;
}

void control_stream::activate(outgoing_frame reply) {
  std::lock_guard<std::mutex> guard{mutex_};
  reply.stream = id_;
  outbox_->push(std::move(reply));
  for (auto& frame : waiting_)
    outbox_->push(std::move(frame));
  waiting_.clear();
  active_ = true;
}

void control_stream::drop() {
  close_callback callback;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (!open_)
      return;
    waiting_.clear();
    callback = close_locked();
  }
  if (callback)
    callback();
}

outgoing_frame control_stream::make_frame(nlohmann::json event) const {
  event["stream"] = id_;
  outgoing_frame frame;
  frame.identity = identity_;
  frame.delimiter = delimiter_;
  frame.body = to_frame_text(event);
  frame.stream = id_;
  return frame;
}

control_stream::close_callback control_stream::close_locked() {
  open_ = false;
  close_callback callback;
  callback.swap(on_close_);
  return callback;
}

} // namespace corral
