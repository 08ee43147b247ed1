#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "backends/container/engine.hpp"
#include "backends/container/task_group.hpp"

namespace corral::container {

/// The engine as one backend instance uses it: settings, the facts probed
/// once, and the threads that run engine commands. Shared by the backend
/// and every container session, so it outlives them all.
class engine_state {
public:
  /// Uses the engine binary at `path` with `settings`.
  engine_state(engine_settings settings, std::string path);

  /// Returns the host facts, probing the engine and removing leftovers of
  /// crashed nodes on the first call. Blocks, so only I/O threads call
  /// it. Returns null and sets `error` when the engine does not work.
  const engine_facts* facts(std::string& error);

  /// Removes leftovers of crashed nodes unless this process already did;
  /// needs no probe, because listing and removing work without the run
  /// flags. Blocks, so only I/O threads call it.
  void remove_leftovers_once();

  /// Returns the settings this backend runs with.
  const engine_settings& settings() const {
    return settings_;
  }

  /// Returns the threads of this backend's sessions and commands.
  task_group& tasks() {
    return *tasks_;
  }

  /// Waits for every session and command, at most `timeout`; returns the
  /// number still running.
  std::size_t wait(std::chrono::milliseconds timeout) {
    return tasks_->wait(timeout);
  }

private:
  engine_settings settings_;
  std::string path_;
  std::shared_ptr<task_group> tasks_ = std::make_shared<task_group>();
  std::mutex mutex_;
  bool probed_ = false;
  std::optional<engine_facts> facts_;
  std::string error_;
};

} // namespace corral::container
