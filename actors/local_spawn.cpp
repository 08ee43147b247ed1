#include "actors/local_spawn.hpp"

#include <caf/all.hpp>

#include "actors/backend.hpp"
#include "actors/error.hpp"
#include "actors/messages.hpp"
#include "actors/router.hpp"

namespace corral {

namespace {

caf::error check_parent_here(const agent_cell& parent) {
  if (!parent.caps.can_spawn)
    return make_error(errc::capability_denied,
                      "agent " + parent.agent_id + " (pid "
                        + std::to_string(parent.pid)
                        + ") may not spawn: it lacks can_spawn");
  if (parent.state.load() == process_state::stopping)
    return make_error(errc::invalid_state_transition,
                      "parent " + parent.agent_id
                        + " is stopping and cannot spawn children");
  return {};
}

caf::error shutting_down(const node_services& services,
                         const std::string& agent_id) {
  return make_error(errc::spawn_failed, "agent_id " + agent_id + ": node "
                                          + services.node_id()
                                          + " is shutting down");
}

// Ends an actor that never ran. Its hosting actor finds `cancelled` set
// and exits without starting the agent.
void cancel(agent_cell& cell) {
  cell.cancelled.store(true);
  caf::anon_send_exit(cell.actor(), caf::exit_reason::kill);
}

caf::error memory_rejected(const char* field, std::uint64_t requested,
                           const node_config& config) {
  return make_error(errc::invalid_request,
                    std::string{field} + " " + std::to_string(requested)
                      + " is above node " + config.node_id
                      + "'s max_agent_memory_bytes of "
                      + std::to_string(config.max_agent_memory_bytes)
                      + "; request less, or start the node with a larger "
                        "--max-agent-memory");
}

} // namespace

caf::error check_agent_id(const std::string& id) {
  if (auto problem = agent_id_error(id))
    return make_error(errc::invalid_request, "agent_id: " + *problem);
  return {};
}

caf::error check_memory_request(const spawn_request& request,
                                const node_config& config) {
  if (std::holds_alternative<remote_backend>(request.backend))
    return {};
  const auto& limit = request.limits.memory_bytes;
  if (limit && *limit > config.max_agent_memory_bytes)
    return memory_rejected("limits.memory_bytes", *limit, config);
  if (const auto* tee = std::get_if<tee_backend>(&request.backend))
    if (tee->enclave.memory_bytes > config.max_agent_memory_bytes)
      return memory_rejected("backend.Tee.enclave.memory_bytes",
                             tee->enclave.memory_bytes, config);
  return {};
}

caf::error claim_error(const directory::claim& claim,
                       const std::string& agent_id, const std::string& node_id,
                       std::size_t max_live) {
  if (claim.status == directory::claim::name_taken)
    return make_error(errc::agent_id_in_use,
                      "agent_id " + agent_id + " is taken by live pid "
                        + node_id + ":" + std::to_string(claim.holder)
                        + "; stop it first or choose another agent_id");
  return make_error(errc::process_table_full,
                    "the process table of node " + node_id
                      + " holds its maximum of " + std::to_string(max_live)
                      + " live agents; stop some or raise --max-agents");
}

void return_pid(node_services& services, pid_type pid) {
  auto next = pid + 1;
  services.next_pid.compare_exchange_strong(next, pid);
}

// The cell copies what the request sets rather than pointing into it, so
// that the kernel can keep the request packed (stored_request).
std::shared_ptr<agent_cell> make_agent_cell(node_services& services,
                                            const spawn_request& request) {
  auto caps = request.caps
                ? std::make_shared<const capabilities>(*request.caps)
                : services.default_capabilities;
  auto limits = sets_any(request.limits)
                  ? std::make_shared<const struct limits>(request.limits)
                  : services.no_limits;
  auto cell = std::make_shared<agent_cell>(std::move(caps), std::move(limits));
  cell->pid = services.next_pid.fetch_add(1);
  cell->agent_id = request.agent_id;
  cell->global.node = services.node_id();
  cell->global.pid = cell->pid;
  cell->parent = request.parent_pid.value_or(kernel_pid);
  return cell;
}

void report_exit_to_kernel(const node_services& services,
                           const agent_cell& cell) {
  auto kernel = caf::actor_cast<caf::actor_addr>(services.kernel);
  auto pid = cell.pid;
  auto id = cell.actor().id();
  cell.actor()->attach_functor(
    [kernel, pid, id](const caf::error& reason, caf::execution_unit* host) {
      if (auto target = caf::actor_cast<caf::strong_actor_ptr>(kernel))
        target->enqueue(nullptr, caf::make_message_id(),
                        caf::make_message(agent_down_atom::value, pid, id,
                                          reason),
                        host);
    });
}

std::optional<caf::expected<spawn_result>>
spawn_here(caf::actor_system& system,
           const std::shared_ptr<node_services>& services,
           const spawn_request& request, const agent_cell* parent,
           caf::event_based_actor* self) {
  auto parent_pid = parent == nullptr ? kernel_pid : parent->pid;
  if (request.parent_pid.value_or(kernel_pid) != parent_pid)
    return std::nullopt;
  auto name = backend_name(request.backend);
  auto impl = services->backends.find(name);
  if (impl == nullptr || !impl->spawns_on_caller())
    return std::nullopt;

  if (auto error = check_agent_id(request.agent_id))
    return caf::expected<spawn_result>{std::move(error)};
  if (auto error = check_memory_request(request, services->config))
    return caf::expected<spawn_result>{std::move(error)};
  if (parent != nullptr)
    if (auto error = check_parent_here(*parent))
      return caf::expected<spawn_result>{std::move(error)};
  const auto& config = services->config;
  auto cell = make_agent_cell(*services, request);

  // An agent that spawns leaves its children's actors to the kernel
  // (callgrind: about 1,000 fewer instructions per child on its worker).
  // A caller outside any actor creates the actor itself. A deferred child
  // keeps a maker of about 128 bytes on the heap until the kernel drains
  // it, so a node filled by outside spawns would keep the peak of that
  // backlog in its resident memory.
  // NOTE: a burst of spawns from agents still leaves such a peak.
  spawn_context context{system, request, cell, services, true,
                        self != nullptr};
  auto outcome = impl->spawn(context);
  if (!outcome) {
    return_pid(*services, cell->pid);
    return caf::expected<spawn_result>{std::move(outcome.error())};
  }
  // An invalid actor means that the backend deferred its creation.
  auto created = static_cast<bool>(outcome->actor);
  if (created)
    cell->set_actor(std::move(outcome->actor));

  local_spawn queued;
  queued.cell = cell;
  queued.request = split_fields(request);
  auto pushed = services->spawns.push(std::move(queued), services->agents,
                                      config.max_agents);
  if (pushed.closed || pushed.claim.status != directory::claim::ok) {
    if (created)
      cancel(*cell);
    if (pushed.closed)
      return caf::expected<spawn_result>{
        shutting_down(*services, request.agent_id)};
    return caf::expected<spawn_result>{
      claim_error(pushed.claim, request.agent_id, services->node_id(),
                  config.max_agents)};
  }
  // The kernel launches the agent after it adds the table entry. A launch
  // from here would queue every child on this worker. In CAF 0.17 another
  // worker steals from the tail of that queue by scanning all of it
  // (`double_ended_queue::take_tail`), and the scan blocks this worker's
  // next push.
  if (pushed.first) {
    if (self != nullptr)
      self->send(services->kernel, drain_atom::value);
    else
      caf::anon_send(services->kernel, drain_atom::value);
  }
  return caf::expected<spawn_result>{
    spawn_result{cell->pid, cell->agent_id, cell->global}};
}

} // namespace corral
