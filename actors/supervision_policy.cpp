#include "actors/supervision_policy.hpp"

#include <algorithm>

namespace corral {

bool should_restart(restart_type type, const exit_reason& reason) {
  switch (type) {
    case restart_type::permanent:
      return true;
    case restart_type::transient:
      return is_abnormal(reason);
    case restart_type::temporary:
      return false;
  }
  return false;
}

bool restart_intensity::record(const supervisor_spec& spec,
                               clock::time_point now) {
  if (!restarts_)
    restarts_ = std::make_unique<std::vector<clock::time_point>>();
  auto& restarts = *restarts_;
  auto period = std::chrono::milliseconds{spec.period_ms};
  auto expired = std::find_if(restarts.begin(), restarts.end(),
                              [&](clock::time_point x) {
                                return now - x <= period;
                              });
  restarts.erase(restarts.begin(), expired);
  restarts.push_back(now);
  return restarts.size() <= spec.max_restarts;
}

std::size_t restart_intensity::recent() const {
  return restarts_ ? restarts_->size() : 0;
}

std::chrono::milliseconds backoff_delay(const supervisor_spec& spec,
                                        std::size_t nth) {
  auto delay = spec.backoff_initial_ms;
  for (std::size_t i = 1; i < nth && delay < spec.backoff_max_ms; ++i)
    delay *= 2;
  return std::chrono::milliseconds{std::min(delay, spec.backoff_max_ms)};
}

std::vector<std::size_t> restart_group(restart_strategy strategy,
                                       std::size_t failed,
                                       std::size_t child_count) {
  std::vector<std::size_t> result;
  switch (strategy) {
    case restart_strategy::one_for_one:
      result.push_back(failed);
      break;
    case restart_strategy::one_for_all:
      for (std::size_t i = 0; i < child_count; ++i)
        result.push_back(i);
      break;
    case restart_strategy::rest_for_one:
      for (std::size_t i = failed; i < child_count; ++i)
        result.push_back(i);
      break;
  }
  return result;
}

} // namespace corral
