#include "actors/agent_cell.hpp"

#include <thread>

namespace corral {

namespace {

std::shared_ptr<const capabilities> default_caps() {
  static const auto instance = std::make_shared<const capabilities>();
  return instance;
}

std::shared_ptr<const struct limits> no_limits() {
  static const auto instance = std::make_shared<const struct limits>();
  return instance;
}

} // namespace

agent_cell::agent_cell() : agent_cell(default_caps(), no_limits()) {
}

agent_cell::agent_cell(std::shared_ptr<const capabilities> shared_caps,
                       std::shared_ptr<const struct limits> shared_limits)
  : shared_caps(std::move(shared_caps)),
    shared_limits(std::move(shared_limits)),
    caps(*this->shared_caps),
    limits(*this->shared_limits) {
}

void agent_cell::defer_actor(std::unique_ptr<actor_maker> maker) {
  maker_ = std::move(maker);
  actor_state_.store(actor_deferred, std::memory_order_release);
}

// The first caller takes the maker and creates the actor, and the others
// yield until it is published. Creating an unscheduled native actor
// (callgrind: about 1,700 instructions with CAF 0.17.6) waits for no
// other thread except in malloc, so their wait is short.
void agent_cell::create_actor() const {
  std::uint8_t expected = actor_deferred;
  if (actor_state_.compare_exchange_strong(expected, actor_creating,
                                           std::memory_order_acquire)) {
    auto maker = std::move(maker_);
    try {
      actor_ = maker->make();
    } catch (...) {
      // Only an allocation failure gets here. Every caller, this one too,
      // finds an invalid handle, to which CAF delivers nothing, and the
      // kernel ends the agent when it registers it.
      actor_ = caf::actor{};
    }
    actor_state_.store(actor_ready, std::memory_order_release);
    return;
  }
  while (actor_state_.load(std::memory_order_acquire) != actor_ready)
    std::this_thread::yield();
}

} // namespace corral
