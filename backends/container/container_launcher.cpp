#include "backends/container/container_launcher.hpp"

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/log.hpp"
#include "actors/node_services.hpp"
#include "backends/container/container_agent.hpp"
#include "backends/container/protocol.hpp"
#include "serialization/utf8.hpp"

namespace corral::container {

namespace {

// Time the destructor waits for sessions and engine commands.
constexpr std::chrono::seconds drain_timeout{60};

std::string pool_key(const std::vector<std::string>& options) {
  std::string key;
  for (const auto& option : options) {
    key += option;
    key += '\x1f';
  }
  return key;
}

agent_options make_agent_options(const engine_settings& settings,
                                 const spawn_context& ctx,
                                 const std::string& image) {
  agent_options options;
  options.image = image;
  options.ready_timeout = settings.ready_timeout;
  options.max_invalid_lines = settings.max_invalid_lines;
  options.max_line_bytes = settings.max_line_bytes;
  options.max_stdin_bytes = settings.max_stdin_bytes;
  // NOTE: the kernel's shutdown carries no grace period, so the node's
  // default one is split: half for the agent to exit on its own, the rest
  // for the engine's SIGTERM before the kernel kills the container.
  auto grace = std::chrono::milliseconds{
    ctx.services->config.default_grace_ms};
  options.shutdown_wait = grace / 2;
  // The engine counts whole seconds; 0 would skip SIGTERM.
  options.stop_grace = std::max(
    std::chrono::seconds{1},
    std::chrono::ceil<std::chrono::seconds>(grace - options.shutdown_wait));
  if (ctx.cell->limits.mailbox_size && *ctx.cell->limits.mailbox_size > 0)
    options.max_pending
      = static_cast<std::size_t>(*ctx.cell->limits.mailbox_size);
  return options;
}

} // namespace

caf::error check_container_request(const spawn_request& request) {
  const auto* backend = std::get_if<container_backend>(&request.backend);
  if (backend == nullptr)
    return make_error(errc::internal_error,
                      "the Container backend got a request for another "
                      "backend");
  // Arguments reach the engine through execve, never a shell, so only a
  // leading '-' (read as a flag), blanks and NUL (which would cut the
  // argument short) are dangerous.
  const auto& image = backend->image;
  bool blank = image.find_first_of(std::string{" \t\r\n\0", 5})
               != std::string::npos;
  if (image.empty() || image.front() == '-' || blank)
    return make_error(errc::invalid_request,
                      "Container.image \"" + printable(image)
                        + "\" is not an image name; give one such as "
                          "localhost/corral-echo:latest");
  for (const auto& [key, value] : request.env) {
    if (key.empty() || key.find_first_of(std::string{"=\0", 2})
                         != std::string::npos)
      return make_error(errc::invalid_request,
                        "env key \"" + printable(key)
                          + "\" is not a variable name; give a non-empty "
                            "name without '=' or NUL");
    if (value.find('\0') != std::string::npos)
      return make_error(errc::invalid_request,
                        "env value of " + printable(key)
                          + " contains a NUL byte; remove it");
  }
  return {};
}

container_launcher::container_launcher(engine_settings settings)
  : settings_(std::move(settings)) {
}

container_launcher::~container_launcher() {
  std::shared_ptr<engine_state> engine;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    engine = engine_;
    for (auto& [key, sessions] : pool_)
      for (auto& session : sessions) {
        session->detach();
        session->kill();
      }
    pool_.clear();
  }
  if (engine != nullptr) {
    auto left = engine->wait(drain_timeout);
    if (left > 0)
      log(spdlog::level::warn, {},
          std::to_string(left)
            + " container sessions or engine commands still run after "
              "60 s; their containers are removed at the next node start");
  }
}

std::shared_ptr<engine_state> container_launcher::engine(std::string& error) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (engine_ == nullptr) {
    auto path = locate_engine(settings_, error);
    if (!path)
      return nullptr;
    engine_ = std::make_shared<engine_state>(settings_, *path);
  }
  return engine_;
}

caf::expected<spawn_outcome>
container_launcher::spawn(const spawn_context& ctx) {
  if (auto error = check_container_request(ctx.request))
    return error;
  std::string error;
  auto engine = this->engine(error);
  if (engine == nullptr)
    return make_error(errc::backend_not_available, error);

  const auto& image = std::get<container_backend>(ctx.request.backend).image;
  const auto& node = ctx.services->node_id();
  auto name = make_container_name(node, std::to_string(ctx.cell->pid));
  auto spec = make_container_spec(settings_, ctx.request, *ctx.cell, node,
                                  name);
  auto key = pool_key(spec.options);

  std::shared_ptr<container_session> session;
  if (settings_.pool_size > 0)
    session = take_pooled(key);
  if (session == nullptr) {
    auto args = spec.identity;
    args.insert(args.end(), spec.options.begin(), spec.options.end());
    session = std::make_shared<container_session>(
      engine, name, std::move(args),
      session_ids{node, ctx.cell->pid, ctx.cell->agent_id});
    session->start();
  } else {
    log(spdlog::level::debug, {node, ctx.cell->pid, ctx.cell->agent_id},
        "uses pooled container " + session->name());
  }
  if (settings_.pool_size > 0)
    refill(key, spec.options, node);

  auto actor = ctx.system.spawn<container_agent>(
    session, ctx.cell, ctx.services, ctx.request.env,
    make_agent_options(settings_, ctx, image));
  auto type = ctx.request.agent_type == default_agent_type
                ? image
                : image + " " + ctx.request.agent_type;
  return spawn_outcome{std::move(actor), false, type, {}};
}

void container_launcher::remove_leftovers_in_background() {
  std::string error;
  auto engine = this->engine(error);
  if (engine == nullptr)
    return;
  engine->tasks().run([engine] { engine->remove_leftovers_once(); });
}

std::size_t container_launcher::pooled() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::size_t count = 0;
  for (const auto& [key, sessions] : pool_)
    count += sessions.size();
  return count;
}

std::size_t container_launcher::pooled_ready() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::size_t count = 0;
  for (const auto& [key, sessions] : pool_)
    for (const auto& session : sessions)
      count += session->printed_line() && !session->exited() ? 1 : 0;
  return count;
}

std::shared_ptr<container_session>
container_launcher::take_pooled(const std::string& key) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = pool_.find(key);
  if (i == pool_.end())
    return nullptr;
  auto& sessions = i->second;
  while (!sessions.empty()) {
    auto session = std::move(sessions.front());
    sessions.pop_front();
    if (!session->exited())
      return session;
  }
  return nullptr;
}

// Pooled containers run under a name and labels of their own. The agent
// that takes one is found by its corral.node label and the debug log line
// of the spawn. Env and limits are part of the key, so a pooled container
// always has those of the spawn that takes it.
// NOTE: a pooled container's name does not contain the pid of its agent.
void container_launcher::refill(const std::string& key,
                                const std::vector<std::string>& options,
                                const std::string& node) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& sessions = pool_[key];
  while (sessions.size() < settings_.pool_size) {
    auto name = make_container_name(node, "pool");
    auto args = pool_identity(node, name);
    args.insert(args.end(), options.begin(), options.end());
    auto session = std::make_shared<container_session>(
      engine_, name, std::move(args), session_ids{node, 0, "pool"});
    session->start();
    sessions.push_back(std::move(session));
  }
}

} // namespace corral::container
