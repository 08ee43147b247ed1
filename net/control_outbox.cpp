#include "net/control_outbox.hpp"

namespace corral {

control_outbox::control_outbox(zmq::context_t& context,
                               const std::string& wakeup_endpoint) {
  wakeup_.emplace(context, zmq::socket_type::pair);
  wakeup_->set(zmq::sockopt::linger, 0);
  wakeup_->connect(wakeup_endpoint);
}

bool control_outbox::push(outgoing_frame frame) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (closed_)
    return false;
  bool was_empty = frames_.empty();
  frames_.push_back(std::move(frame));

  // One wakeup per batch is enough: the I/O thread takes the whole queue.
  if (was_empty)
    wake_locked();
  return true;
}

std::deque<outgoing_frame> control_outbox::take() {
  std::lock_guard<std::mutex> guard{mutex_};
  std::deque<outgoing_frame> result;
  result.swap(frames_);
  return result;
}

void control_outbox::wake() {
  std::lock_guard<std::mutex> guard{mutex_};
  if (!closed_)
    wake_locked();
}

void control_outbox::close() {
  std::lock_guard<std::mutex> guard{mutex_};
  closed_ = true;
  frames_.clear();
  wakeup_.reset();
}

void control_outbox::wake_locked() {
  // A full pipe (EAGAIN) is harmless: its frames already wake the thread.
  try {
    wakeup_->send(zmq::const_buffer{}, zmq::send_flags::dontwait);
  } catch (const zmq::error_t&) {
    // The context is ending; the I/O thread is stopping anyway.
  }
}

} // namespace corral
