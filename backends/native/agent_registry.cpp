#include "backends/native/agent_registry.hpp"

#include "backends/native/command_loop.hpp"

namespace corral {

agent_registry::agent_registry() {
  factories_[default_agent_type] = std::make_shared<const factory>(
    [] { return std::make_unique<command_loop>(); });
}

agent_registry& agent_registry::instance() {
  static agent_registry registry;
  return registry;
}

void agent_registry::add(const std::string& name, factory make) {
  auto shared = std::make_shared<const factory>(std::move(make));
  std::lock_guard guard{mutex_};
  factories_[name] = std::move(shared);
}

std::shared_ptr<const agent_registry::factory>
agent_registry::find(const std::string& name) const {
  std::lock_guard guard{mutex_};
  auto i = factories_.find(name);
  return i == factories_.end() ? nullptr : i->second;
}

std::unique_ptr<agent> agent_registry::create(const std::string& name) const {
  auto make = find(name);
  return make ? (*make)() : nullptr;
}

std::vector<std::string> agent_registry::names() const {
  std::lock_guard guard{mutex_};
  std::vector<std::string> result;
  for (const auto& entry : factories_)
    result.push_back(entry.first);
  return result;
}

} // namespace corral
