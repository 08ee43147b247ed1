#include "backends/container/engine_state.hpp"

#include <map>

#include "actors/log.hpp"

namespace corral::container {

namespace {

// Probing takes several engine calls (about a second with Podman), and
// the result holds for the whole process, so every node of this process
// shares it. The same goes for the removal of leftovers.
struct probe_cache {
  std::mutex mutex;
  bool leftovers_removed = false;
  std::map<std::string, std::optional<engine_facts>> facts;
  std::map<std::string, std::string> errors;
};

probe_cache& cache() {
  static probe_cache instance;
  return instance;
}

std::optional<engine_facts> probe_once(const engine_settings& settings,
                                       const std::string& path,
                                       std::string& error) {
  auto key = path;
  for (const auto& flag : settings.global_flags)
    key += " " + flag;
  auto& shared = cache();
  std::lock_guard<std::mutex> guard{shared.mutex};
  if (auto i = shared.facts.find(key); i != shared.facts.end()) {
    error = shared.errors[key];
    return i->second;
  }
  auto facts = probe_engine(settings, path, error);
  if (facts) {
    log(spdlog::level::info, {}, "container engine " + path + ": "
                                   + facts->summary);
  } else {
    log(spdlog::level::warn, {}, error);
  }
  shared.facts[key] = facts;
  shared.errors[key] = error;
  return facts;
}

void remove_leftovers_locked(const engine_facts& facts,
                             const engine_settings& settings) {
  auto& shared = cache();
  if (shared.leftovers_removed)
    return;
  shared.leftovers_removed = true;
  auto removed = remove_leftovers(facts, settings.command_timeout);
  if (removed > 0)
    log(spdlog::level::info, {},
        "removed " + std::to_string(removed)
          + " containers left by corral nodes that no longer run");
}

} // namespace

engine_state::engine_state(engine_settings settings, std::string path)
  : settings_(std::move(settings)), path_(std::move(path)) {
}

const engine_facts* engine_state::facts(std::string& error) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (!probed_) {
    probed_ = true;
    facts_ = probe_once(settings_, path_, error_);
  }
  if (facts_) {
    std::lock_guard<std::mutex> shared{cache().mutex};
    remove_leftovers_locked(*facts_, settings_);
  } else {
    error = error_;
  }
  return facts_ ? &*facts_ : nullptr;
}

void engine_state::remove_leftovers_once() {
  engine_facts facts;
  facts.path = path_;
  facts.global_flags = settings_.global_flags;
  std::lock_guard<std::mutex> shared{cache().mutex};
  remove_leftovers_locked(facts, settings_);
}

} // namespace corral::container
