#pragma once

#include <memory>

#include "actors/backend.hpp"
#include "backends/wasm/module_cache.hpp"
#include "backends/wasm/wasm_agent.hpp"

namespace corral::wasm {

/// Instructions the start function, `_initialize` and `corral_init` may
/// take together at spawn.
inline constexpr std::uint64_t startup_budget = 10'000'000;

/// The Wasm backend: loads the module (through the cache), checks its
/// imports against the agent's capabilities, instantiates it, runs its
/// start-up code and spawns the hosting actor.
class wasm_launcher : public backend {
public:
  /// Creates the backend with its own module cache.
  wasm_launcher();

  /// Spawns a WASM agent, or refuses with the reason.
  caf::expected<spawn_outcome> spawn(const spawn_context& ctx) override;

  /// The module cache, for statistics and tests.
  module_cache& cache() {
    return *cache_;
  }

private:
  caf::expected<spawn_outcome> start(const spawn_context& ctx);

  std::shared_ptr<module_cache> cache_;
};

/// Turns an agent's limits into its instance's limits; `invalid_request`
/// for a call depth out of range. The Tee backend's hosts use it too.
caf::expected<instance_limits> resolve_limits(const limits& given);

/// Turns an agent's limits into its fuel, time and mailbox budgets.
run_budget resolve_budget(const limits& given);

/// Checks the module's imports against the `host_functions` capability;
/// returns `capability_denied` naming the first import outside it.
caf::error check_imports(const compiled_module& module,
                         const std::vector<std::string>& allowed);

} // namespace corral::wasm
