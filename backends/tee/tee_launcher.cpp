#include "backends/tee/tee_launcher.hpp"

#include <caf/all.hpp>

#include <unistd.h>

#include "actors/error.hpp"
#include "actors/log.hpp"
#include "actors/node_services.hpp"
#include "backends/tee/enclave_session.hpp"
#include "backends/tee/platform.hpp"
#include "backends/tee/tee_agent.hpp"

namespace corral::tee {

namespace {

constexpr const char* host_file_name = "corral-enclave-host";

log_ids ids_of(const spawn_context& ctx) {
  return {ctx.services->node_id(), ctx.cell->pid, ctx.cell->agent_id};
}

} // namespace

std::string default_host_path() {
  char self[4096];
  auto size = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (size > 0) {
    std::string path(self, static_cast<std::size_t>(size));
    auto slash = path.find_last_of('/');
    auto sibling = path.substr(0, slash + 1) + host_file_name;
    if (::access(sibling.c_str(), X_OK) == 0)
      return sibling;
  }
  return CORRAL_ENCLAVE_HOST_BUILD_PATH;
}

std::optional<std::string> expected_measurement(
  const std::string& host_executable, const std::string& workload) {
  auto host = file_digest(host_executable);
  auto module = file_digest(workload);
  if (!host || !module)
    return std::nullopt;
  return combine_measurement(*host, *module);
}

tee_launcher::tee_launcher(tee_options options)
  : options_(std::move(options)),
    platform_key_(std::make_shared<simulated_platform_key>()) {
  if (options_.host_executable.empty())
    options_.host_executable = default_host_path();
  if (options_.policy.allowed_types.count(enclave_type::simulation) != 0)
    corral::log(spdlog::level::warn, log_ids{options_.node_id, 0, {}},
                "Tee backend: enclave_type simulation is allowed; simulated "
                "enclaves run the whole attestation protocol but have no "
                "hardware protection (see docs/tee.md)");
}

caf::expected<spawn_outcome> tee_launcher::spawn(const spawn_context& ctx) {
  const auto* backend = std::get_if<tee_backend>(&ctx.request.backend);
  if (backend == nullptr)
    return make_error(errc::internal_error,
                      "the Tee backend got a request for another backend");
  const auto& enclave = backend->enclave;
  if (auto problem = enclave_config_error(enclave))
    return make_error(errc::invalid_request,
                      "backend.Tee.enclave." + *problem);
  if (auto missing = platform_unavailable(enclave.type))
    return make_error(errc::backend_not_available, *missing);
  if (auto denied = policy_type_error(options_.policy, enclave.type)) {
    corral::log(spdlog::level::warn, ids_of(ctx),
                "enclave rejected: " + *denied);
    return make_error(errc::attestation_failed,
                      "agent " + ctx.request.agent_id + ": " + *denied);
  }

  // The agent's own thread starts and attests the host, so that a slow
  // host does not hold up the kernel.
  session_opening opening{options_,
                          platform_key_,
                          enclave,
                          ctx.cell->limits,
                          ctx.services->node_id(),
                          ctx.request,
                          ctx.cell->pid};
  spawn_outcome outcome;
  outcome.actor = ctx.system.spawn<tee_agent>(std::move(opening), ctx.cell,
                                              ctx.services, ctx.request.env);
  outcome.started = false;
  auto slash = enclave.workload.find_last_of('/');
  outcome.agent_type = slash == std::string::npos
                         ? enclave.workload
                         : enclave.workload.substr(slash + 1);
  return outcome;
}

} // namespace corral::tee
