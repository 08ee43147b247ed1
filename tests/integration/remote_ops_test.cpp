// Operations, monitors, links, topics and capabilities across nodes, from
// C++: a node in the test process ("local", with probe agents) and a
// `corral node` process ("n2"). The cases of the suite share one cluster;
// each uses its own agent ids.

#include <csignal>
#include <optional>
#include <string>

#include <boost/test/unit_test.hpp>
#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/node.hpp"
#include "local_member.hpp"
#include "remote_cluster.hpp"

using namespace corral;
using namespace corral::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;
using clock_type = std::chrono::steady_clock;

namespace {

/// Bound of waits for what should happen at once; only catches hangs.
constexpr milliseconds patience{5000};

/// A `corral node` process n2 and a member in this process, joined.
struct ops_cluster {
  std::unique_ptr<node_process> n2;
  std::unique_ptr<member_view> v2;
  std::unique_ptr<local_member> local;

  ops_cluster() {
    n2 = start_cluster_member("n2");
    v2 = std::make_unique<member_view>(*n2);
    local = std::make_unique<local_member>(v2->address());
    bool joined = poll_until(seconds{10}, [&] {
      return !local->service->check_target("n2")
             && v2->state_of("local") == "alive";
    });
    BOOST_TEST_REQUIRE(joined, "n2 sees local as " << v2->state_of("local"));
  }

  // Proxies are killed while the cluster still runs, so that their agents
  // on n2 end too and the node stops without waiting for grace periods.
  ~ops_cluster() {
    if (auto live = here().list())
      for (const auto& agent : *live)
        here().stop(std::to_string(agent.pid), {true, 0});
  }

  node& here() {
    return *local->instance;
  }

  /// Spawns a command loop agent on n2 through n2's own CLI and returns
  /// its global pid.
  global_pid spawn_on_n2(const std::string& agent_id) {
    auto result = n2->corral({"spawn", "--id", agent_id, "--json"});
    BOOST_TEST_REQUIRE(result.exit_code == 0, summary(result));
    auto json = parse_stdout(result);
    return {"n2", json["pid"].get<pid_type>()};
  }

  /// Spawns a command loop agent on n2 through a proxy here.
  spawn_result spawn_proxied(const std::string& agent_id) {
    spawn_request request;
    request.agent_id = agent_id;
    request.backend = remote_backend{"n2", native_backend{}, {}};
    auto spawned = here().spawn(request);
    BOOST_TEST_REQUIRE(static_cast<bool>(spawned), error_text(spawned));
    return *spawned;
  }

  /// Spawns a probe here and returns its pid.
  pid_type spawn_probe(const std::string& agent_id,
                       std::optional<capabilities> caps = std::nullopt) {
    spawn_request request;
    request.agent_id = agent_id;
    request.agent_type = probe_type;
    request.caps = std::move(caps);
    auto spawned = here().spawn(request);
    BOOST_TEST_REQUIRE(static_cast<bool>(spawned), error_text(spawned));
    return spawned->pid;
  }

  /// Requests a monitor or link (`Atom`) of `pid` on `target` from the
  /// kernel here and waits for the reply, which comes after the other node
  /// confirmed.
  template <class Atom>
  caf::error watch(Atom atom, pid_type pid, const std::string& target) {
    caf::scoped_actor self{here().system()};
    caf::error result;
    self->request(here().kernel(), patience, atom, pid, target)
      .receive([]() {}, [&](caf::error& error) { result = std::move(error); });
    return result;
  }

  /// Returns n2's view of `target`, or null.
  nlohmann::json on_n2(const std::string& target) {
    return v2->inspect(target);
  }
};

ops_cluster* shared = nullptr;

/// Starts the cluster once for the suite.
struct suite_cluster {
  suite_cluster() {
    shared = new ops_cluster;
  }
  ~suite_cluster() {
    delete shared;
    shared = nullptr;
  }
};

std::string code_text(const caf::error& error) {
  return to_string(to_failure(error).code);
}

template <class T>
std::string code_text(const caf::expected<T>& x) {
  return x ? std::string{"none"} : code_text(x.error());
}

/// True when `x` is an observation of `kind` about `source` with an exit
/// of `reason`.
auto observed(const std::string& kind, const std::string& source,
              exit_kind reason) {
  return [=](const observation& x) {
    return x.kind == kind && x.msg.topic == source && x.reason.kind == reason;
  };
}

} // namespace

BOOST_AUTO_TEST_SUITE(remote_operations,
                      *boost::unit_test::fixture<suite_cluster>())

BOOST_AUTO_TEST_CASE(inspect_by_global_pid_answers_from_the_agents_node) {
  auto agent = shared->spawn_on_n2("g-inspect");
  auto info = shared->here().inspect(to_string(agent));
  BOOST_TEST_REQUIRE(static_cast<bool>(info), error_text(info));
  BOOST_TEST(info->pid == agent.pid);
  BOOST_TEST(info->node == "n2");
  BOOST_TEST(info->agent_id == "g-inspect");
  BOOST_TEST(std::string{to_string(info->state)} == "running");
}

BOOST_AUTO_TEST_CASE(suspend_and_resume_by_global_pid_change_the_remote_state) {
  auto agent = shared->spawn_on_n2("g-suspend");
  auto target = to_string(agent);
  auto suspended = shared->here().suspend(target);
  BOOST_TEST_REQUIRE(!suspended, describe(suspended));
  BOOST_TEST(shared->on_n2(target)["state"] == "suspended");
  auto resumed = shared->here().resume(target);
  BOOST_TEST_REQUIRE(!resumed, describe(resumed));
  BOOST_TEST(shared->on_n2(target)["state"] == "running");
}

BOOST_AUTO_TEST_CASE(stop_by_global_pid_returns_the_exit_reason) {
  auto agent = shared->spawn_on_n2("g-stop");
  auto started = clock_type::now();
  auto stopped = shared->here().stop(to_string(agent), {true, 0});
  auto latency_us = std::chrono::duration_cast<std::chrono::microseconds>(
                      clock_type::now() - started)
                      .count();
  BOOST_TEST_REQUIRE(static_cast<bool>(stopped), error_text(stopped));
  BOOST_TEST(std::string{to_string(stopped->kind)} == "killed");
  BOOST_TEST(shared->on_n2(to_string(agent))["state"] == "exited");
  std::cout << "stop --now of an agent on n2 by global pid: " << latency_us
            << " us\n";
}

BOOST_AUTO_TEST_CASE(operations_on_unknown_node_or_pid_name_it) {
  auto unknown_node = shared->here().inspect("n9:1");
  BOOST_TEST(code_text(unknown_node) == "node_unreachable");
  BOOST_TEST(error_text(unknown_node).find("node n9 is not known")
               != std::string::npos,
             error_text(unknown_node));

  auto unknown_pid = shared->here().stop("n2:999999");
  BOOST_TEST(code_text(unknown_pid) == "process_not_found");
  BOOST_TEST(error_text(unknown_pid).find("n2:999999") != std::string::npos,
             error_text(unknown_pid));

  auto watcher = shared->spawn_probe("p-unknown");
  auto monitor = shared->watch(monitor_atom::value, watcher, "n2:999999");
  BOOST_TEST(code_text(monitor) == "process_not_found");
}

BOOST_AUTO_TEST_CASE(proxy_forwards_suspend_resume_and_inspect) {
  auto spawned = shared->spawn_proxied("p-forward");
  auto proxy = std::to_string(spawned.pid);
  auto echo = shared->here().request(proxy, "echo", "x", seconds{5});
  BOOST_TEST_REQUIRE(static_cast<bool>(echo), error_text(echo));

  auto suspended = shared->here().suspend(proxy);
  BOOST_TEST_REQUIRE(!suspended, describe(suspended));
  BOOST_TEST(shared->on_n2(to_string(spawned.global))["state"]
             == "suspended");
  auto info = shared->here().inspect(proxy);
  BOOST_TEST_REQUIRE(static_cast<bool>(info), error_text(info));
  BOOST_TEST(std::string{to_string(info->state)} == "suspended");
  BOOST_TEST(info->pid == spawned.pid);
  BOOST_TEST(info->agent_type == "command_loop");
  // The agent's own count, which only its node records.
  BOOST_TEST(info->usage.messages_in == 1u);

  auto resumed = shared->here().resume(proxy);
  BOOST_TEST_REQUIRE(!resumed, describe(resumed));
  BOOST_TEST(shared->on_n2(to_string(spawned.global))["state"] == "running");
  auto again = shared->here().inspect(proxy);
  BOOST_TEST_REQUIRE(static_cast<bool>(again), error_text(again));
  BOOST_TEST(std::string{to_string(again->state)} == "running");
}

BOOST_AUTO_TEST_CASE(restart_through_proxy_keeps_pid_and_follows_new_agent) {
  auto spawned = shared->spawn_proxied("p-restart");
  auto restarted = shared->here().restart(std::to_string(spawned.pid));
  BOOST_TEST_REQUIRE(static_cast<bool>(restarted), error_text(restarted));
  BOOST_TEST(restarted->pid == spawned.pid);
  BOOST_TEST(restarted->agent_id == "p-restart");
  BOOST_TEST(restarted->global.node == "n2");
  BOOST_TEST(restarted->global.pid != spawned.global.pid);

  BOOST_TEST(shared->on_n2(to_string(spawned.global))["state"] == "exited");
  BOOST_TEST(shared->on_n2("p-restart")["pid"] == restarted->global.pid);
  auto echo = shared->here().request(std::to_string(spawned.pid), "echo",
                                     "after", seconds{5});
  BOOST_TEST_REQUIRE(static_cast<bool>(echo), error_text(echo));
  BOOST_TEST(echo->payload == "after");
  auto info = shared->here().inspect(std::to_string(spawned.pid));
  BOOST_TEST_REQUIRE(static_cast<bool>(info), error_text(info));
  BOOST_TEST(info->restart_count == 1u);
  BOOST_TEST(to_string(info->global) == to_string(restarted->global));

  // By the global pid, the proxy here is found and restarts it again.
  auto twice = shared->here().restart(to_string(restarted->global));
  BOOST_TEST_REQUIRE(static_cast<bool>(twice), error_text(twice));
  BOOST_TEST(twice->pid == spawned.pid);
}

BOOST_AUTO_TEST_CASE(monitor_by_global_pid_gets_the_real_exit_reason) {
  auto agent = shared->spawn_on_n2("g-watched");
  auto watcher = shared->spawn_probe("p-monitor");
  auto error = shared->watch(monitor_atom::value, watcher, to_string(agent));
  BOOST_TEST_REQUIRE(!error, describe(error));
  BOOST_TEST(shared->local->service->watch_records() == 1u);

  auto stop = shared->n2->corral({"stop", "g-watched", "--now"});
  BOOST_TEST_REQUIRE(stop.exit_code == 0, summary(stop));
  auto down = recorder_for("p-monitor")->wait_for(
    observed("down", to_string(agent), exit_kind::killed), patience);
  BOOST_TEST(down.has_value());
  BOOST_TEST(poll_until(patience, [] {
    return shared->local->service->watch_records() == 0;
  }));
}

BOOST_AUTO_TEST_CASE(link_by_global_pid_passes_remote_exit_to_local_agent) {
  auto agent = shared->spawn_on_n2("g-linked");
  auto watcher = shared->spawn_probe("p-trap");
  BOOST_TEST(shared->here().request(std::to_string(watcher), "trap_exits",
                                    "true", seconds{5})
               ->payload
             == "ok");
  auto error = shared->watch(link_atom::value, watcher, to_string(agent));
  BOOST_TEST_REQUIRE(!error, describe(error));

  auto stopped = shared->here().stop(to_string(agent), {true, 0});
  BOOST_TEST_REQUIRE(static_cast<bool>(stopped), error_text(stopped));
  auto signal = recorder_for("p-trap")->wait_for(
    observed("exit_signal", to_string(agent), exit_kind::killed), patience);
  BOOST_TEST(signal.has_value());
  BOOST_TEST(std::string{to_string(
               shared->here().inspect(std::to_string(watcher))->state)}
             == "running");
}

BOOST_AUTO_TEST_CASE(link_by_global_pid_passes_local_crash_to_remote_agent) {
  auto agent = shared->spawn_on_n2("g-partner");
  auto crasher = shared->spawn_probe("p-crash");
  auto error = shared->watch(link_atom::value, crasher, to_string(agent));
  BOOST_TEST_REQUIRE(!error, describe(error));

  // The probe throws in its handler, so the request gets no reply.
  shared->here().request(std::to_string(crasher), "crash", "on purpose",
                         seconds{2});
  nlohmann::json exit;
  bool ended = poll_until(patience, [&] {
    auto info = shared->on_n2(to_string(agent));
    if (!info.is_object() || info["state"] != "exited")
      return false;
    exit = info["exit"];
    return true;
  });
  BOOST_TEST_REQUIRE(ended, "the linked agent on n2 still runs");
  BOOST_TEST(exit["kind"] == "crashed", exit.dump());
  BOOST_TEST(poll_until(patience, [] {
    return shared->local->service->watch_records() == 0;
  }));
}

BOOST_AUTO_TEST_CASE(link_to_proxy_passes_local_crash_to_remote_agent) {
  auto spawned = shared->spawn_proxied("p-proxy-linked");
  auto crasher = shared->spawn_probe("p-proxy-crash");
  auto error = shared->watch(link_atom::value, crasher,
                             std::to_string(spawned.pid));
  BOOST_TEST_REQUIRE(!error, describe(error));

  // The probe throws in its handler, so the request gets no reply.
  shared->here().request(std::to_string(crasher), "crash", "on purpose",
                         seconds{2});
  std::optional<process_info> proxy;
  bool ended = poll_until(patience, [&] {
    auto info = shared->here().inspect(std::to_string(spawned.pid));
    if (!info || info->state != process_state::exited)
      return false;
    proxy = *info;
    return true;
  });
  BOOST_TEST_REQUIRE(ended, "the proxy still runs");
  BOOST_TEST(std::string{to_string(proxy->exit->kind)} == "crashed");
  BOOST_TEST(shared->on_n2(to_string(spawned.global))["exit"]["kind"]
             == "crashed");
}

BOOST_AUTO_TEST_CASE(monitor_of_proxy_gets_the_remote_exit_reason) {
  auto spawned = shared->spawn_proxied("p-proxy-watched");
  auto watcher = shared->spawn_probe("p-proxy-monitor");
  auto error = shared->watch(monitor_atom::value, watcher,
                             std::to_string(spawned.pid));
  BOOST_TEST_REQUIRE(!error, describe(error));

  auto stop = shared->n2->corral({"stop", to_string(spawned.global), "--now"});
  BOOST_TEST_REQUIRE(stop.exit_code == 0, summary(stop));
  auto down = recorder_for("p-proxy-monitor")
                ->wait_for(observed("down", "p-proxy-watched",
                                    exit_kind::killed),
                           patience);
  BOOST_TEST(down.has_value());
}

BOOST_AUTO_TEST_CASE(publish_on_one_node_reaches_subscribers_on_another) {
  auto subscriber = shared->spawn_probe("p-subscriber");
  auto subscribed = shared->here().request(std::to_string(subscriber),
                                           "subscribe", "news", seconds{5});
  BOOST_TEST_REQUIRE(static_cast<bool>(subscribed), error_text(subscribed));

  auto publish = shared->n2->corral({"publish", "news", "from n2"});
  BOOST_TEST_REQUIRE(publish.exit_code == 0, summary(publish));
  auto got = recorder_for("p-subscriber")->wait_for(
    [](const observation& x) {
      return x.kind == "message" && x.msg.topic == "news"
             && x.msg.payload == "from n2" && x.msg.from.node == "n2";
    },
    patience);
  BOOST_TEST(got.has_value());
}

BOOST_AUTO_TEST_CASE(send_scope_is_checked_for_agents_of_other_nodes) {
  auto allowed = shared->spawn_on_n2("g-allowed");
  auto other = shared->spawn_on_n2("g-other");
  capabilities caps;
  caps.can_send = {send_scope_kind::listed, {to_string(allowed)}, {}};
  auto sender = shared->spawn_probe("p-scoped", caps);
  auto ask = [&](const global_pid& to) {
    nlohmann::json args{{"to", to_string(to)}, {"topic", "echo"},
                        {"payload", "hi"}, {"timeout_ms", 4000}};
    auto reply = shared->here().request(std::to_string(sender), "request",
                                        args.dump(), seconds{5});
    return reply ? reply->payload : error_text(reply);
  };
  BOOST_TEST(ask(allowed) == "hi");
  auto denied = ask(other);
  BOOST_TEST(denied.find("capability_denied") != std::string::npos, denied);
  BOOST_TEST(shared->on_n2(to_string(other))["usage"]["messages_in"] == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(node_down_ends_remote_monitors_and_links) {
  ops_cluster cluster;
  auto agent = cluster.spawn_on_n2("g-lost");
  auto watcher = cluster.spawn_probe("p-lost-monitor");
  auto linked = cluster.spawn_probe("p-lost-link");
  BOOST_TEST_REQUIRE(static_cast<bool>(cluster.here().request(
    std::to_string(linked), "trap_exits", "true", seconds{5})));
  BOOST_TEST_REQUIRE(
    !cluster.watch(monitor_atom::value, watcher, to_string(agent)));
  BOOST_TEST_REQUIRE(!cluster.watch(link_atom::value, linked, to_string(agent)));
  BOOST_TEST(cluster.local->service->watch_records() == 2u);

  ::kill(cluster.n2->process().pid(), SIGKILL);
  auto down = recorder_for("p-lost-monitor")
                ->wait_for(observed("down", to_string(agent),
                                    exit_kind::node_down),
                           seconds{5});
  BOOST_TEST(down.has_value());
  auto signal = recorder_for("p-lost-link")
                  ->wait_for(observed("exit_signal", to_string(agent),
                                      exit_kind::node_down),
                             seconds{5});
  BOOST_TEST(signal.has_value());
  BOOST_TEST(cluster.local->service->watch_records() == 0u);
}
