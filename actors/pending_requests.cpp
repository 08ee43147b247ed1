#include "actors/pending_requests.hpp"

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/messages.hpp"
#include "actors/node_services.hpp"
#include "actors/router.hpp"

namespace corral {

namespace {

// A slot keeps the buffers of its last request for the next one, except a
// payload larger than this, which it frees when the request ends.
constexpr std::size_t retained_payload_bytes = 4096;

// Once no request is outstanding, slots beyond this many are freed, so an
// agent that once had many requests in flight does not keep their memory.
constexpr std::size_t retained_slots = 16;

} // namespace

pending_requests::ticket
pending_requests::add(caf::event_based_actor* self, const message& request,
                      const std::string& target,
                      std::chrono::milliseconds timeout,
                      reply_handler on_reply, error_handler on_error) {
  std::uint32_t slot;
  if (free_.empty()) {
    slot = static_cast<std::uint32_t>(entries_.size());
    entries_.emplace_back();
  } else {
    slot = free_.back();
    free_.pop_back();
  }
  auto& x = entries_[slot];
  // Assignment, not construction, so that the strings reuse their buffers.
  x.request = request;
  x.target = target;
  x.on_reply = std::move(on_reply);
  x.on_error = std::move(on_error);
  x.deadline = clock::now() + timeout;
  x.outstanding = true;
  heap_.push_back(slot);
  x.heap_index = heap_.size() - 1;
  sift_up(x.heap_index);
  arm(self, x.deadline);
  return {slot, request.correlation_id};
}

void pending_requests::finish(ticket x, message* reply,
                              const caf::error& error) {
  if (x.slot >= entries_.size())
    return;
  auto& found = entries_[x.slot];
  if (!found.outstanding || found.request.correlation_id != x.correlation_id)
    return;
  remove_from_heap(found.heap_index);
  found.outstanding = false;
  if (reply != nullptr) {
    auto on_reply = std::move(found.on_reply);
    release(x.slot);
    on_reply(*reply);
    return;
  }
  auto failed = to_failure(error);
  // Moved out, because a failure is rare enough that the slot need not
  // keep these buffers.
  post_failed_request(services_, std::move(found.request), found.target,
                      failed.code);
  auto on_error = std::move(found.on_error);
  release(x.slot);
  on_error(to_error(failed));
}

void pending_requests::expire(caf::event_based_actor* self) {
  armed_ = false;
  auto now = clock::now();
  while (!heap_.empty() && entries_[heap_.front()].deadline <= now) {
    const auto& due = entries_[heap_.front()];
    finish({heap_.front(), due.request.correlation_id}, nullptr,
           make_error(errc::timeout, "the request timed out"));
  }
  if (!heap_.empty())
    arm(self, entries_[heap_.front()].deadline);
}

// Drops the handlers, whose captures may own resources, and puts the slot
// on the free list. Called before a handler runs, so that the handler may
// add requests, which can reallocate `entries_`.
void pending_requests::release(std::uint32_t slot) {
  auto& x = entries_[slot];
  x.on_reply = nullptr;
  x.on_error = nullptr;
  if (x.request.payload.capacity() > retained_payload_bytes)
    std::string{}.swap(x.request.payload);
  free_.push_back(slot);
  if (heap_.empty() && entries_.size() > retained_slots) {
    entries_.resize(retained_slots);
    entries_.shrink_to_fit();
    free_.clear();
    for (std::uint32_t i = 0; i < retained_slots; ++i)
      free_.push_back(i);
    std::vector<std::uint32_t>{}.swap(heap_);
  }
}

void pending_requests::place(std::size_t index, std::uint32_t slot) {
  heap_[index] = slot;
  entries_[slot].heap_index = index;
}

void pending_requests::sift_up(std::size_t index) {
  while (index > 0) {
    auto parent = (index - 1) / 2;
    if (!earlier(index, parent))
      break;
    auto slot = heap_[index];
    place(index, heap_[parent]);
    place(parent, slot);
    index = parent;
  }
}

void pending_requests::sift_down(std::size_t index) {
  for (;;) {
    auto smallest = index;
    auto left = 2 * index + 1;
    auto right = left + 1;
    if (left < heap_.size() && earlier(left, smallest))
      smallest = left;
    if (right < heap_.size() && earlier(right, smallest))
      smallest = right;
    if (smallest == index)
      return;
    auto slot = heap_[index];
    place(index, heap_[smallest]);
    place(smallest, slot);
    index = smallest;
  }
}

void pending_requests::remove_from_heap(std::size_t index) {
  auto last = heap_.size() - 1;
  if (index != last) {
    place(index, heap_[last]);
    heap_.pop_back();
    sift_down(index);
    sift_up(index);
  } else {
    heap_.pop_back();
  }
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
