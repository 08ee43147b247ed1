#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/backend.hpp"
#include "backends/container/container_session.hpp"
#include "backends/container/container_spec.hpp"
#include "backends/container/engine_state.hpp"

namespace corral::container {

/// The Container backend: runs each agent in a container of the engine
/// (Podman by default) and hosts it with a `container_agent`. Spawning
/// does not wait for the engine: it only looks the engine up in PATH, and
/// every engine call runs on the session's thread. With a pool
/// size above 0 it keeps that many containers started ahead per image and
/// settings, so that a spawn only attaches to a running agent.
class container_launcher : public backend {
public:
  /// Creates the backend; the engine is probed at the first spawn.
  explicit container_launcher(
    engine_settings settings = engine_settings::from_environment());

  /// Kills pooled containers and waits up to a minute for every session
  /// and engine command of this backend, so that containers are removed.
  ~container_launcher() override;

  /// Spawns a container agent, or returns `backend_not_available` when
  /// the engine is missing and `invalid_request` for a bad image or env.
  /// A failure of the engine itself (e.g. a missing image) fails the
  /// spawn later with `spawn_failed` and the engine's message.
  caf::expected<spawn_outcome> spawn(const spawn_context& ctx) override;

  /// Removes, on a thread of this backend, the containers of corral nodes
  /// on this host that no longer run. `corral node` calls it at start; a
  /// process that never does removes them at its first container spawn.
  void remove_leftovers_in_background();

  /// Returns the number of pooled containers started so far and not yet
  /// handed to an agent.
  std::size_t pooled() const;

  /// Returns the number of pooled containers whose agent printed its ready
  /// line, so that a spawn that takes one waits for no engine at all.
  std::size_t pooled_ready() const;

  /// Returns the settings this backend runs with.
  const engine_settings& settings() const {
    return settings_;
  }

private:
  std::shared_ptr<engine_state> engine(std::string& error);
  std::shared_ptr<container_session> take_pooled(const std::string& key);
  void refill(const std::string& key, const std::vector<std::string>& options,
              const std::string& node);

  engine_settings settings_;
  mutable std::mutex mutex_;
  std::shared_ptr<engine_state> engine_;
  std::map<std::string, std::deque<std::shared_ptr<container_session>>> pool_;
};

/// Checks an image name and the env of a container spawn; returns
/// `invalid_request` naming the bad value.
caf::error check_container_request(const spawn_request& request);

} // namespace corral::container
