#include "bench/remote_runs.hpp"

#include <memory>
#include <stdexcept>
#include <string>

#include "actors/error.hpp"
#include "actors/node.hpp"
#include "backends/builtin_backends.hpp"
#include "backends/remote/remote_service.hpp"
#include "bench/bench_node.hpp"
#include "bench/cluster_measure.hpp"
#include "net/cluster_node.hpp"

namespace corral::bench {

namespace {

constexpr std::size_t round_trip_bytes = 64;
constexpr std::chrono::seconds request_timeout{5};

/// A node with the Remote backend, joined to the cluster of `seed` (none
/// for the first). The cluster stops before the node, as in `corral node`.
struct remote_member {
  std::shared_ptr<remote::remote_service> service
    = std::make_shared<remote::remote_service>();
  std::unique_ptr<node> instance;
  cluster_node cluster;

  remote_member(const scheduler_settings& settings, const std::string& id,
                const std::string& seed) {
    auto backends = builtin_backends();
    backends.add("Remote", service->make_launcher());
    auto config = settings.make_node_config();
    config.node_id = id;
    instance = std::make_unique<node>(config, std::move(backends));
    service->attach(instance->shared_services(), instance->system(), cluster);
    cluster_config cluster_settings;
    cluster_settings.node_id = id;
    cluster_settings.listen_address = "tcp://127.0.0.1:0";
    if (!seed.empty())
      cluster_settings.seeds = {seed};
    if (auto error = cluster.start(cluster_settings))
      throw std::runtime_error("cluster node " + id
                               + " failed to start: " + to_string(*error));
  }

  ~remote_member() {
    service->detach();
    cluster.stop();
    instance.reset();
  }
};

} // namespace

latency_figures corral_remote_round_trip(const scheduler_settings& settings,
                                         const cluster_workload& work) {
  remote_member a{settings, "a", {}};
  remote_member b{settings, "b", a.cluster.listen_address()};
  wait_for(
    [&] {
      return !a.service->check_target("b") && !b.service->check_target("a");
    },
    std::chrono::seconds{10}, "the join of nodes a and b");

  spawn_request request;
  request.agent_id = "echo";
  request.backend = remote_backend{"b", native_backend{}, {}};
  auto proxy = std::to_string(spawn_or_throw(*a.instance, request));

  const std::string body(round_trip_bytes, 'x');
  return time_round_trips(work, [&] {
    auto reply = a.instance->request(proxy, "echo", body, request_timeout);
    if (!reply)
      throw std::runtime_error("Remote echo request failed: "
                               + describe(reply.error()));
  });
}

} // namespace corral::bench
