#include "actors/pending_requests.hpp"

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/messages.hpp"

namespace corral {

std::shared_ptr<pending_requests::call>
pending_requests::add(caf::event_based_actor* self,
                      std::chrono::milliseconds timeout, completion complete) {
  auto deadline = clock::now() + timeout;
  auto x = std::make_shared<call>();
  x->complete = std::move(complete);
  x->position = deadlines_.emplace(deadline, x);
  arm(self, deadline);
  return x;
}

void pending_requests::finish(const std::shared_ptr<call>& x, message* reply,
                              const caf::error& error) {
  if (x->done)
    return;
  x->done = true;
  deadlines_.erase(x->position);
  auto complete = std::move(x->complete);
  complete(reply, error);
}

void pending_requests::expire(caf::event_based_actor* self) {
  armed_ = false;
  auto now = clock::now();
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    auto x = deadlines_.begin()->second;
    finish(x, nullptr, make_error(errc::timeout, "the request timed out"));
  }
  if (!deadlines_.empty())
    arm(self, deadlines_.begin()->first);
}

// A timer armed for a later deadline stays in flight when an earlier one is
// armed; its message then only finds nothing due and re-arms.
void pending_requests::arm(caf::event_based_actor* self,
                           clock::time_point deadline) {
  if (armed_ && armed_for_ <= deadline)
    return;
  armed_ = true;
  armed_for_ = deadline;
  auto delay = std::chrono::duration_cast<std::chrono::microseconds>(
    deadline - clock::now());
  if (delay.count() < 0)
    delay = std::chrono::microseconds{0};
  self->delayed_send(self, delay, deadline_atom::value);
}

} // namespace corral
