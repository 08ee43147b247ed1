#include "actors/agent_cell.hpp"

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

} // namespace corral
