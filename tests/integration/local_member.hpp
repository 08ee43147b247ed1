#pragma once

// A cluster member inside the test process: a corral node with the
// built-in backends, the Remote backend and the probe agent type, joined
// to a cluster through a seed.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "actors/node.hpp"
#include "backends/builtin_backends.hpp"
#include "backends/remote/remote_service.hpp"
#include "net/cluster_node.hpp"
#include "remote_cluster.hpp"
#include "tests/harness/probe.hpp"

namespace corral::testing {

/// The error of `x` as text, or an empty string when it contains a value,
/// because Boost.Test builds a check's message even when the check passes.
template <class T>
std::string error_text(const caf::expected<T>& x) {
  return x ? std::string{} : describe(x.error());
}

/// A node in this process in the cluster of `seed`, with the Remote
/// backend; an empty `seed` starts a cluster that others join. `tune`
/// changes the cluster settings before the start, and `remote` sets the
/// Remote backend's. Members are destroyed
/// in reverse order: the cluster stops before the node.
struct local_member {
  std::shared_ptr<remote::remote_service> service
    = std::make_shared<remote::remote_service>();
  std::unique_ptr<node> instance;
  cluster_node cluster;

  explicit local_member(
    const std::string& seed, const std::string& node_id = "local",
    const std::function<void(cluster_config&)>& tune = {},
    const remote::remote_settings& remote = {})
    : service(std::make_shared<remote::remote_service>(remote)) {
    register_probe();
    auto backends = builtin_backends();
    backends.add("Remote", service->make_launcher());
    node_config config;
    config.node_id = node_id;
    instance = std::make_unique<node>(config, std::move(backends));
    service->attach(instance->shared_services(), instance->system(), cluster);
    cluster_config settings;
    settings.node_id = node_id;
    settings.listen_address = "tcp://127.0.0.1:0";
    if (!seed.empty())
      settings.seeds = {seed};
    if (tune)
      tune(settings);
    auto error = cluster.start(settings);
    BOOST_TEST_REQUIRE(!error, error->detail);
  }

  /// Waits up to 10 s until `node_id` is an alive member, then spawns a
  /// command-loop agent named `agent_id` there through a Remote proxy on
  /// this node. A member that never came up makes the spawn fail.
  caf::expected<spawn_result> spawn_proxy_on(const std::string& node_id,
                                             const std::string& agent_id) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while (service->check_target(node_id)
           && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
    spawn_request request;
    request.agent_id = agent_id;
    request.backend = remote_backend{node_id, native_backend{}, {}};
    return instance->spawn(request);
  }

  ~local_member() {
    service->detach();
    cluster.stop();
    instance.reset();
  }
};

/// Two members in this process, b joined through a, that see each other
/// alive. `b_remote` sets b's Remote backend.
struct member_pair {
  local_member a{"", "a"};
  std::unique_ptr<local_member> b;

  explicit member_pair(const remote::remote_settings& b_remote = {})
    : b(std::make_unique<local_member>(a.cluster.listen_address(), "b",
                                       nullptr, b_remote)) {
    bool joined = poll_until(std::chrono::seconds{10}, [&] {
      return !a.service->check_target("b") && !b->service->check_target("a");
    });
    BOOST_TEST_REQUIRE(joined, "nodes a and b did not see each other alive");
  }

  /// Spawns a probe named `agent_id` on b itself and returns its global
  /// pid.
  global_pid spawn_on_b(const std::string& agent_id) {
    spawn_request request;
    request.agent_id = agent_id;
    request.agent_type = probe_type;
    auto spawned = b->instance->spawn(request);
    BOOST_TEST_REQUIRE(static_cast<bool>(spawned), error_text(spawned));
    return spawned->global;
  }
};

/// Waits up to 10 s until the probe `agent_id` recorded `count` messages
/// and returns the numbers at the start of their payloads, in the order
/// they arrived.
inline std::vector<std::size_t> arrived_indexes(const std::string& agent_id,
                                                std::size_t count) {
  auto log = recorder_for(agent_id);
  BOOST_TEST(poll_until(std::chrono::seconds{10}, [&] {
    return log->count("message") >= count;
  }), log->count("message") << " of " << count << " messages arrived");
  std::vector<std::size_t> order;
  for (const auto& seen : log->all())
    if (seen.kind == "message")
      order.push_back(static_cast<std::size_t>(std::stoul(seen.msg.payload)));
  return order;
}

} // namespace corral::testing
