#include "bench/bench_node.hpp"

#include <stdexcept>
#include <thread>

#include "actors/error.hpp"
#include "backends/builtin_backends.hpp"
#include "backends/tee/tee_launcher.hpp"

namespace corral::bench {

double elapsed_us(clock_type::time_point since) {
  return std::chrono::duration<double, std::micro>(clock_type::now() - since)
    .count();
}

std::unique_ptr<node> start_node(const scheduler_settings& settings) {
  timer_slack_scope slack{settings.timer_slack_ns};
  // Benchmark nodes accept simulated enclaves, for the Tee section. They
  // share one launcher, so that its warning about simulation is logged
  // once per process rather than once per node.
  static const auto simulated_tee = [] {
    tee::tee_options tee_options;
    tee_options.policy.allowed_types = {enclave_type::simulation};
    return std::make_shared<tee::tee_launcher>(tee_options);
  }();
  auto backends = builtin_backends();
  backends.add("Tee", simulated_tee);
  return std::make_unique<node>(settings.make_node_config(),
                                std::move(backends));
}

spawn_request make_request(std::string agent_id, std::string agent_type,
                           std::map<std::string, std::string> env) {
  spawn_request result;
  result.agent_id = std::move(agent_id);
  result.agent_type = std::move(agent_type);
  result.env = std::move(env);
  return result;
}

pid_type spawn_or_throw(node& host, const spawn_request& request) {
  auto result = host.spawn(request);
  if (!result)
    throw std::runtime_error("spawn of " + request.agent_id
                             + " failed: " + describe(result.error()));
  return result->pid;
}

void wait_for(const std::function<bool()>& done,
              std::chrono::milliseconds limit, const std::string& description) {
  auto deadline = clock_type::now() + limit;
  while (!done()) {
    if (clock_type::now() > deadline)
      throw std::runtime_error(description + " did not finish within "
                               + std::to_string(limit.count()) + " ms");
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
}

} // namespace corral::bench
