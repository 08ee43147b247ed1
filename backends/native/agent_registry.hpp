#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/agent.hpp"

namespace corral {

/// Native agent types by name (`spawn_request::agent_type`). One registry
/// per process, so that every node in it, and every node of a cluster
/// built from the same binary, can spawn the same types. Thread-safe.
class agent_registry {
public:
  using factory = std::function<std::unique_ptr<agent>()>;

  /// The process-wide registry; it starts with the built-in command loop.
  static agent_registry& instance();

  /// Registers `make` under `name`, replacing an earlier registration.
  /// Agents whose spawn found the earlier factory still use that one.
  void add(const std::string& name, factory make);

  /// Returns the factory of type `name`, or null for an unknown name. The
  /// caller may keep it and call it later on any thread.
  std::shared_ptr<const factory> find(const std::string& name) const;

  /// Creates an agent of type `name`, or returns null for an unknown name.
  std::unique_ptr<agent> create(const std::string& name) const;

  /// Registered names in alphabetical order.
  std::vector<std::string> names() const;

private:
  agent_registry();

  mutable std::mutex mutex_;
  // Shared, so that `find` copies a pointer rather than the function.
  std::map<std::string, std::shared_ptr<const factory>, std::less<>>
    factories_;
};

/// Registers the default-constructible agent class `T` under `name`.
template <class T>
void register_agent_type(const std::string& name) {
  agent_registry::instance().add(name, [] { return std::make_unique<T>(); });
}

} // namespace corral
