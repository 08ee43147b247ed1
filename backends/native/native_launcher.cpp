#include "backends/native/native_launcher.hpp"

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "backends/native/agent_host.hpp"
#include "backends/native/agent_registry.hpp"

namespace corral {

// The agent itself is created in its hosting actor's first run, so that a
// spawn on the caller's thread leaves that work to the worker that runs
// the child.
caf::expected<spawn_outcome> native_launcher::spawn(const spawn_context& ctx) {
  auto& registry = agent_registry::instance();
  auto make = registry.find(ctx.request.agent_type);
  if (!make) {
    std::string known;
    for (const auto& name : registry.names())
      known += (known.empty() ? "" : ", ") + name;
    return make_error(errc::agent_type_unknown,
                      "agent_type " + ctx.request.agent_type
                        + " is not registered; registered types: " + known);
  }
  caf::actor actor;
  if (ctx.deferred_start)
    actor = ctx.system.spawn<agent_host, caf::lazy_init>(
      std::move(make), ctx.cell, ctx.services, ctx.request.env);
  else
    actor = ctx.system.spawn<agent_host>(std::move(make), ctx.cell,
                                         ctx.services, ctx.request.env);
  return spawn_outcome{std::move(actor), true, {}, {}};
}

} // namespace corral
