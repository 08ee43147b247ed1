// The cluster part of `corral demo`: two more nodes in this process form a
// cluster on 127.0.0.1, and one spawns agents on the other through the
// Remote backend.

#include "cli/demo_cluster.hpp"

#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "actors/error.hpp"
#include "actors/node.hpp"
#include "backends/builtin_backends.hpp"
#include "backends/remote/remote_service.hpp"
#include "net/cluster_node.hpp"
#include "net/curve_keys.hpp"

namespace corral::cli {

namespace {

using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;

constexpr milliseconds request_timeout{2000};

/// Maximum wait until the two nodes see each other alive. Joining takes
/// one hello round trip on loopback, so this only ends a demo whose
/// cluster misbehaves.
constexpr milliseconds join_wait{5000};

/// One cluster node in this process: a node with the Remote backend and
/// its cluster endpoint. The destructor stops the Remote backend first,
/// then the cluster, then the node.
struct demo_member {
  std::shared_ptr<remote::remote_service> service
    = std::make_shared<remote::remote_service>();
  std::unique_ptr<node> instance;
  cluster_node cluster;

  demo_member() = default;
  demo_member(const demo_member&) = delete;
  demo_member& operator=(const demo_member&) = delete;

  ~demo_member() {
    service->detach();
    cluster.stop();
    instance.reset();
  }
};

/// The key pair of one member and the public key it accepts from the
/// other.
struct member_keys {
  curve_key_pair own;
  std::string peer_id;
  std::string peer_public_key;
};

/// Starts member `id` on a free port of 127.0.0.1, joining through `seed`
/// (the other member's listen address) unless it is empty.
result<std::unique_ptr<demo_member>> start_member(const std::string& id,
                                                  const member_keys& keys,
                                                  const std::string& seed) {
  auto member = std::make_unique<demo_member>();
  auto backends = builtin_backends();
  backends.add("Remote", member->service->make_launcher());
  node_config config;
  config.node_id = id;
  config.default_grace_ms = 1000;
  member->instance = std::make_unique<node>(config, std::move(backends));
  member->service->attach(member->instance->shared_services(),
                          member->instance->system(), member->cluster);

  cluster_config settings;
  settings.node_id = id;
  settings.listen_address = "tcp://127.0.0.1:0";
  auto& security = settings.transport.security;
  security.enabled = true;
  security.public_key = keys.own.public_key;
  security.secret_key = keys.own.secret_key;
  security.peer_keys[keys.peer_id] = keys.peer_public_key;
  if (!seed.empty()) {
    settings.seeds = {seed};
    security.seed_ids[seed] = keys.peer_id;
  }
  auto* instance = member->instance.get();
  settings.local_agents = [instance] {
    return static_cast<std::uint64_t>(instance->stats().live_agents);
  };
  if (auto error = member->cluster.start(std::move(settings)))
    return failure{error->code, "starting cluster node " + id + " failed: "
                                  + error->detail};
  return result<std::unique_ptr<demo_member>>{std::move(member)};
}

/// Waits until `from` can spawn on `target`, which needs `target` alive in
/// its member list.
std::optional<failure> wait_for_member(const demo_member& from,
                                       const std::string& target) {
  auto deadline = clock_type::now() + join_wait;
  while (from.service->check_target(target)) {
    if (clock_type::now() > deadline)
      return failure{errc::timeout,
                     target + " did not join the cluster within "
                       + std::to_string(join_wait.count()) + " ms"};
    std::this_thread::sleep_for(milliseconds{10});
  }
  return std::nullopt;
}

/// Spawns `request` on `from`, prints where it runs and returns its global
/// pid.
result<std::string> spawn_remote(demo_member& from,
                                 const spawn_request& request,
                                 const std::string& what) {
  auto spawned = from.instance->spawn(request);
  if (!spawned)
    return failure{errc::spawn_failed, "spawning " + request.agent_id
                                         + " failed: "
                                         + describe(spawned.error())};
  auto global = to_string(spawned->global);
  std::cout << "spawned " << request.agent_id << " (" << what << ") from "
            << from.instance->id() << " as " << global << ", proxy pid "
            << spawned->pid << " on " << from.instance->id() << "\n";
  return global;
}

/// Sends an echo request to `target` through `from` and returns the reply.
result<std::string> echo(demo_member& from, const std::string& target,
                         const std::string& text) {
  auto start = clock_type::now();
  auto reply = from.instance->request(target, "echo", text, request_timeout);
  if (!reply)
    return failure{errc::node_unreachable, "request echo to " + target
                                             + " failed: "
                                             + describe(reply.error())};
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                  clock_type::now() - start)
                  .count();
  std::cout << target << " <- echo \"" << text << "\"  => " << reply->payload
            << "  (" << micros << " us)\n";
  return reply->payload;
}

spawn_request native_on(const std::string& node_id,
                        const std::string& agent_id) {
  spawn_request request;
  request.agent_id = agent_id;
  request.backend = remote_backend{node_id, native_backend{}, {}};
  return request;
}

spawn_request wasm_on(const std::string& node_id, const std::string& agent_id,
                      const std::string& module) {
  spawn_request request;
  request.agent_id = agent_id;
  request.backend = remote_backend{node_id, wasm_backend{module}, {}};
  return request;
}

} // namespace

result<std::string> run_demo_cluster(const std::string& modules) {
  auto key_a = make_curve_key_pair();
  auto key_b = make_curve_key_pair();
  if (!key_a || !key_b)
    return failure{errc::internal_error,
                   "making Curve keys failed: "
                     + (key_a ? key_b.error() : key_a.error()).detail};

  auto started_at = clock_type::now();
  auto n1 = start_member("demo-n1", {*key_a, "demo-n2", key_b->public_key},
                         "");
  if (!n1)
    return n1.error();
  auto seed = (*n1)->cluster.listen_address();
  auto n2 = start_member("demo-n2", {*key_b, "demo-n1", key_a->public_key},
                         seed);
  if (!n2)
    return n2.error();
  // The spawner needs the target as an alive member. The target may not
  // list the spawner yet, and then it keeps the spawn until it does.
  if (auto error = wait_for_member(**n1, "demo-n2"))
    return *error;
  auto join_ms = std::chrono::duration_cast<milliseconds>(clock_type::now()
                                                          - started_at)
                   .count();
  std::cout << "demo-n1 listens on " << seed << ", demo-n2 on "
            << (*n2)->cluster.listen_address()
            << " (CurveZMQ, keys made for this run); they joined after "
            << join_ms << " ms\n";

  auto native = spawn_remote(**n1, native_on("demo-n2", "remote-loop"),
                             "command_loop on demo-n2");
  if (!native)
    return native.error();
  auto by_proxy = echo(**n1, "remote-loop", "hello across nodes");
  if (!by_proxy)
    return by_proxy.error();
  // The other way: demo-n2 reaches an agent of demo-n1 by its global pid.
  spawn_request home;
  home.agent_id = "home-loop";
  auto local = (*n1)->instance->spawn(home);
  if (!local)
    return failure{errc::spawn_failed,
                   "spawning home-loop failed: " + describe(local.error())};
  auto back = echo(**n2, to_string(local->global), "and back");
  if (!back)
    return back.error();

  std::string wasm_part;
  auto module = modules + "/echo.wat";
  std::error_code missing;
  if (std::filesystem::exists(module, missing)) {
    auto sandboxed = spawn_remote(**n1,
                                  wasm_on("demo-n2", "remote-wasm", module),
                                  "WASM echo.wat on demo-n2");
    if (!sandboxed)
      return sandboxed.error();
    auto reply = echo(**n1, "remote-wasm", "from a remote sandbox");
    if (!reply)
      return reply.error();
    wasm_part = ", remote-wasm (" + *sandboxed + ") replied \"" + *reply
                + "\"";
  }

  // demo-n2 stops first, and demo-n1's proxies of its agents then exit
  // with node_down at once. Stopping demo-n1 first also works, but it waits
  // out the 1 s grace period: its Remote backend is detached before its
  // kernel stops the proxies, so their stops never reach demo-n2.
  n2->reset();
  n1->reset();
  std::cout << "stopped demo-n2 and demo-n1\n";
  return "cluster: demo-n1 and demo-n2 joined in " + std::to_string(join_ms)
         + " ms; remote-loop (" + *native + ") replied \"" + *by_proxy
         + "\"" + wasm_part + ", and demo-n2 reached "
         + to_string(local->global) + " (\"" + *back + "\")";
}

} // namespace corral::cli
