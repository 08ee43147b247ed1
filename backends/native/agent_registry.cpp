#include "backends/native/agent_registry.hpp"

#include "backends/native/command_loop.hpp"

namespace corral {

agent_registry::agent_registry() {
  factories_[default_agent_type] = [] {
    return std::make_unique<command_loop>();
  };
}

agent_registry& agent_registry::instance() {
  static agent_registry registry;
  return registry;
}

void agent_registry::add(const std::string& name, factory make) {
  std::lock_guard guard{mutex_};
  factories_[name] = std::move(make);
}

std::unique_ptr<agent> agent_registry::create(const std::string& name) const {
  factory make;
  {
    std::lock_guard guard{mutex_};
    auto i = factories_.find(name);
    if (i == factories_.end())
      return nullptr;
    make = i->second;
  }
  return make();
}

std::vector<std::string> agent_registry::names() const {
  std::lock_guard guard{mutex_};
  std::vector<std::string> result;
  for (const auto& entry : factories_)
    result.push_back(entry.first);
  return result;
}

} // namespace corral
