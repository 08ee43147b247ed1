#include "backends/wasm/wasm_launcher.hpp"

#include <sodium.h>

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/log.hpp"
#include "actors/node_services.hpp"
#include "backends/wasm/wasm_agent.hpp"

namespace corral::wasm {

namespace {

// Largest call depth an agent may ask for: the frame vector is reserved
// up front, about 40 bytes per frame.
constexpr std::uint64_t max_call_depth = 100'000;

// Serves the guest's imports while the start-up code runs at spawn, when
// there is no hosting actor yet to send or receive anything.
class startup_env : public guest_env {
public:
  startup_env(const spawn_context& ctx) : ctx_(ctx) {
  }

  const message* current_message() const override {
    return nullptr;
  }
  std::int32_t reply(std::string) override {
    return abi_no_request;
  }
  std::int32_t send(const std::string&, std::string, std::string) override {
    return abi_not_ready;
  }
  std::int64_t request(const std::string&, std::string, std::string,
                       std::uint32_t) override {
    return abi_not_ready;
  }
  std::int32_t publish(std::string, std::string) override {
    return abi_not_ready;
  }
  std::int32_t broadcast(std::string, std::string) override {
    return abi_not_ready;
  }
  std::int32_t subscribe(const std::string&, bool) override {
    return abi_not_ready;
  }
  void log(spdlog::level::level_enum level, std::string_view text) override {
    corral::log(level,
                {ctx_.services->node_id(), ctx_.cell->pid,
                 ctx_.cell->agent_id},
                text);
  }
  pid_type self_pid() const override {
    return ctx_.cell->pid;
  }
  const std::string& self_id() const override {
    return ctx_.cell->agent_id;
  }
  const std::map<std::string, std::string>& environment() const override {
    return ctx_.request.env;
  }

private:
  const spawn_context& ctx_;
};

bool allows(const std::vector<std::string>& allowed, const import_ref& ref) {
  for (const auto& entry : allowed) {
    if (entry == "*" || entry == ref.qualified()
        || entry == ref.module + ".*")
      return true;
  }
  return false;
}

} // namespace

caf::expected<instance_limits> resolve_limits(const limits& given) {
  instance_limits out;
  // A 32-bit memory has at most 65,536 pages (4 GiB).
  if (given.memory_bytes)
    out.memory_pages = std::min<std::uint64_t>(*given.memory_bytes / page_bytes,
                                               65536);
  if (given.call_depth) {
    if (*given.call_depth == 0 || *given.call_depth > max_call_depth)
      return make_error(errc::invalid_request,
                        "limits.call_depth " + std::to_string(*given.call_depth)
                          + " is out of range; use 1 to "
                          + std::to_string(max_call_depth));
    out.call_depth = *given.call_depth;
  }
  if (given.value_stack)
    out.value_stack = *given.value_stack;
  return out;
}

run_budget resolve_budget(const limits& given) {
  run_budget out;
  if (given.fuel_per_message && *given.fuel_per_message > 0)
    out.fuel_per_message = *given.fuel_per_message;
  if (given.fuel)
    out.fuel_total = *given.fuel;
  if (given.message_timeout_ms && *given.message_timeout_ms > 0)
    out.message_timeout = std::chrono::milliseconds{*given.message_timeout_ms};
  if (given.mailbox_size && *given.mailbox_size > 0)
    out.mailbox = static_cast<std::size_t>(*given.mailbox_size);
  return out;
}

caf::error check_imports(const compiled_module& module,
                         const std::vector<std::string>& allowed) {
  for (const auto& import : module.imports)
    if (!allows(allowed, import))
      return make_error(errc::capability_denied,
                        "WASM module " + module.path + " imports "
                          + import.qualified()
                          + ", which the agent's host_functions capability "
                            "does not allow; add it to "
                            "caps.host_functions or remove the import");
  return caf::error{};
}

wasm_launcher::wasm_launcher() : cache_(std::make_shared<module_cache>()) {
  // libsodium's random source backs random_get; its init is idempotent.
  if (sodium_init() < 0)
    throw std::runtime_error("libsodium could not be initialised");
}

caf::expected<spawn_outcome> wasm_launcher::spawn(const spawn_context& ctx) {
  // wabt allocates the initial memory and may throw (bad_alloc for a huge
  // limit); the kernel calls this, so nothing may escape.
  try {
    return start(ctx);
  } catch (const std::exception& x) {
    return make_error(errc::spawn_failed,
                      "WASM agent " + ctx.request.agent_id
                        + " could not be instantiated: " + x.what());
  }
}

caf::expected<spawn_outcome> wasm_launcher::start(const spawn_context& ctx) {
  const auto* backend = std::get_if<wasm_backend>(&ctx.request.backend);
  if (backend == nullptr)
    return make_error(errc::internal_error,
                      "the Wasm backend got a request for another backend");
  auto module = backend->sha256
                  ? cache_->load_by_hash(backend->module, *backend->sha256,
                                         ctx.services->modules)
                  : cache_->load(backend->module);
  if (!module)
    return module.error();
  if (auto denied = check_imports(**module, ctx.cell->caps.host_functions))
    return denied;
  auto limits = resolve_limits(ctx.cell->limits);
  if (!limits)
    return limits.error();
  auto budget = resolve_budget(ctx.cell->limits);
  startup_env env(ctx);
  // NOTE: start-up code runs here, on the kernel's thread, for up to
  // `startup_budget` instructions (a few hundred ms in the interpreter), so
  // a module with a slow start function delays other kernel requests.
  auto instance = wasm_instance::create(*module, *limits, env);
  if (!instance)
    return instance.error();
  if (auto error = (*instance)->initialize(
        std::min(startup_budget, budget.fuel_per_message))) {
    (*instance)->host().flush_output();
    return error;
  }
  (*instance)->host().flush_output();
  auto actor = ctx.system.spawn<wasm_agent>(std::move(*instance), ctx.cell,
                                            ctx.services, ctx.request.env,
                                            budget);
  auto slash = backend->module.find_last_of('/');
  return spawn_outcome{std::move(actor), true,
                       slash == std::string::npos
                         ? backend->module
                         : backend->module.substr(slash + 1),
                       {}};
}

} // namespace corral::wasm
