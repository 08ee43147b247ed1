#include "tests/harness/node_fixture.hpp"

#include <thread>

#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "backends/builtin_backends.hpp"
#include "examples/native/example_agents.hpp"

namespace corral::testing {

bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  return true;
}

node_config node_fixture::test_config() {
  node_config config;
  config.node_id = "test";
  config.default_grace_ms = 1000;
  config.root_supervision.backoff_initial_ms = 20;
  return config;
}

node_fixture::node_fixture() : node_fixture(test_config()) {
}

node_fixture::node_fixture(node_config config)
  : node_fixture(std::move(config), builtin_backends()) {
}

node_fixture::node_fixture(node_config config, backend_registry backends) {
  examples::register_example_agents();
  register_probe();
  // Pids start at 1 on every node, so a recorder kept from an earlier test
  // could match a wait of this one.
  forget_recorders();
  node_ = std::make_unique<corral::node>(std::move(config),
                                        std::move(backends));
}

node_fixture::~node_fixture() = default;

spawn_result node_fixture::spawn(const std::string& agent_id,
                                 const std::string& agent_type) {
  spawn_request request;
  request.agent_id = agent_id;
  request.agent_type = agent_type;
  return spawn(request);
}

spawn_result node_fixture::spawn(const spawn_request& request) {
  auto result = node_->spawn(request);
  // Boost.Test evaluates the operands of a message even when the check
  // passes, and error() of a result that contains a value is undefined.
  if (!result)
    BOOST_FAIL("spawn of " << request.agent_id
                           << " failed: " << describe(result.error()));
  return *result;
}

std::shared_ptr<recorder>
node_fixture::spawn_probe(const std::string& agent_id, spawn_request base) {
  auto log = recorder_for(agent_id);
  base.agent_id = agent_id;
  base.agent_type = probe_type;
  spawn(base);
  return log;
}

std::string node_fixture::ask(const std::string& target,
                              const std::string& topic,
                              const std::string& payload) {
  auto reply = node_->request(target, topic, payload, std::chrono::seconds{2});
  if (!reply)
    return "error: " + describe(reply.error());
  return reply->payload;
}

std::string node_fixture::state_of(const std::string& target) {
  auto info = node_->inspect(target);
  return info ? to_string(info->state) : "missing";
}

pid_type node_fixture::pid_of(const std::string& agent_id) {
  auto info = node_->inspect(agent_id);
  if (!info || info->state == process_state::exited)
    return 0;
  return info->pid;
}

} // namespace corral::testing
