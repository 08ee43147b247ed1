#include "backends/native/native_launcher.hpp"

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "backends/native/agent_host.hpp"
#include "backends/native/agent_registry.hpp"

namespace corral {

namespace {

// Creates the hosting actor of an agent spawned on the caller's thread,
// on the first thread that needs it: usually the kernel's worker when it
// adds the agent to its table, or a sender that reached the agent first.
class deferred_host : public actor_maker {
public:
  deferred_host(const spawn_context& ctx,
                std::shared_ptr<const agent_registry::factory> factory)
    : system_(ctx.system),
      factory_(std::move(factory)),
      cell_(ctx.cell),
      services_(ctx.services),
      env_(ctx.request.env) {
  }

  caf::actor make() override {
    auto cell = cell_.lock();
    auto services = services_.lock();
    if (!cell || !services)
      return {};
    return system_.spawn<agent_host, caf::lazy_init>(
      std::move(factory_), std::move(cell), std::move(services),
      std::move(env_));
  }

private:
  caf::actor_system& system_;
  std::shared_ptr<const agent_registry::factory> factory_;
  // Weak, because the cell owns this maker until the actor exists, and
  // the node's directory owns the cell.
  std::weak_ptr<agent_cell> cell_;
  std::weak_ptr<node_services> services_;
  std::map<std::string, std::string> env_;
};

} // namespace

// A spawn on the caller's thread leaves the hosting actor's creation to
// the agent's cell, and the agent itself is created in its hosting
// actor's first run, so that the caller does neither.
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
  if (ctx.deferred_creation) {
    ctx.cell->defer_actor(
      std::make_unique<deferred_host>(ctx, std::move(make)));
    return spawn_outcome{caf::actor{}, true, {}, {}};
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
