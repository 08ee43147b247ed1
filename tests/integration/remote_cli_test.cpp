// The Remote backend between `corral node` processes on 127.0.0.1, driven
// by the CLI: spawn on another node, request-reply through the proxy and by
// global pid, lifecycle commands by global pid, errors for unknown nodes,
// unknown pids and refused spawns, the enclave details of a Tee agent on
// the other node, node_down when the target node is killed, and errors
// instead of waits while the target node is frozen.

#include <csignal>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "remote_cluster.hpp"

using namespace corral::testing;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using clock_type = std::chrono::steady_clock;

namespace {

std::string example(const std::string& file) {
  return std::string{CORRAL_WASM_EXAMPLES_DIR} + "/" + file;
}

/// Spawns with `args` on n1 and returns the JSON result, or fails the test.
json spawn_json(const node_process& node, std::vector<std::string> args) {
  args.insert(args.begin(), "spawn");
  args.push_back("--json");
  auto result = node.corral(args);
  BOOST_TEST_REQUIRE(result.exit_code == 0, summary(result));
  return parse_stdout(result);
}

} // namespace

BOOST_AUTO_TEST_CASE(spawn_on_other_node_gets_proxy) {
  two_members cluster;
  auto result = spawn_json(*cluster.n1, {"--id", "w1", "--on", "n2"});
  auto global = result["global"].get<std::string>();
  BOOST_TEST(global.rfind("n2:", 0) == 0u, global);

  auto proxy = cluster.v1->inspect(std::to_string(result["pid"].get<int>()));
  BOOST_TEST_REQUIRE(proxy.is_object());
  BOOST_TEST(proxy["backend"] == "Remote");
  BOOST_TEST(proxy["node"] == "n2");
  BOOST_TEST(proxy["state"] == "running");

  auto remote = cluster.v2->inspect("w1");
  BOOST_TEST_REQUIRE(remote.is_object());
  BOOST_TEST(remote["backend"] == "Native");
  BOOST_TEST("n2:" + std::to_string(remote["pid"].get<int>()) == global);
}

BOOST_AUTO_TEST_CASE(request_through_proxy_and_by_global_pid) {
  two_members cluster;
  auto on_n2 = spawn_json(*cluster.n1, {"--id", "w2", "--on", "n2"});
  auto proxy_pid = std::to_string(on_n2["pid"].get<int>());

  auto start = clock_type::now();
  auto via_proxy = cluster.n1->corral({"send", proxy_pid, "echo", "hello"});
  auto cli_ms = as_milliseconds(clock_type::now() - start);
  BOOST_TEST(via_proxy.exit_code == 0, summary(via_proxy));
  BOOST_TEST(via_proxy.out == "hello\n");
  std::cout << "remote request through the CLI, including the CLI process: "
            << cli_ms << " ms\n";

  auto by_global = cluster.n1->corral(
    {"send", on_n2["global"].get<std::string>(), "echo", "direct"});
  BOOST_TEST(by_global.exit_code == 0, summary(by_global));
  BOOST_TEST(by_global.out == "direct\n");

  // The other way: an agent of n1 addressed from n2 by its global pid.
  auto local = spawn_json(*cluster.n1, {"--id", "home"});
  auto back = cluster.n2->corral(
    {"send", local["global"].get<std::string>(), "echo", "back"});
  BOOST_TEST(back.exit_code == 0, summary(back));
  BOOST_TEST(back.out == "back\n");

  auto cast = cluster.n1->corral({"send", "--cast",
                                  on_n2["global"].get<std::string>(), "note",
                                  "one-way"});
  BOOST_TEST(cast.exit_code == 0, summary(cast));
  bool counted = poll_until(seconds{5}, [&] {
    auto info = cluster.v2->inspect("w2");
    return info.is_object() && info["usage"]["messages_in"].get<int>() >= 3;
  });
  BOOST_TEST(counted, "w2 on n2: " << cluster.v2->inspect("w2").dump());
}

BOOST_AUTO_TEST_CASE(wasm_echo_on_other_node) {
  two_members cluster;
  auto result = spawn_json(*cluster.n1, {"--id", "wecho", "--on", "n2",
                                         "--backend", "wasm", "--module",
                                         example("echo.wat")});
  auto reply = cluster.n1->corral(
    {"send", std::to_string(result["pid"].get<int>()), "echo", "wasm hi"});
  BOOST_TEST(reply.exit_code == 0, summary(reply));
  BOOST_TEST(reply.out.find("wasm hi") != std::string::npos, reply.out);
  auto remote = cluster.v2->inspect("wecho");
  BOOST_TEST_REQUIRE(remote.is_object());
  BOOST_TEST(remote["backend"] == "Wasm");
}

// Inspecting the proxy shows how the other node runs the agent, so that an
// operator on the spawning node can tell that a Tee agent is simulated.
BOOST_AUTO_TEST_CASE(remote_tee_shows_enclave) {
  auto n1 = start_cluster_member("n1");
  member_view v1(*n1);
  auto n2 = start_cluster_member("n2", {v1.address()},
                                 {"--tee-allow", "simulation"});
  member_view v2(*n2);
  std::vector<std::string> ids{"n1", "n2"};
  BOOST_TEST_REQUIRE(poll_until(seconds{10}, [&] {
    return all_alive(v1, ids) && all_alive(v2, ids);
  }));
  auto result = spawn_json(*n1, {"--id", "sealed", "--on", "n2", "--backend",
                                 "tee", "--module", example("echo.wat")});
  auto proxy = std::to_string(result["pid"].get<int>());
  auto reply = n1->corral({"send", proxy, "echo", "through"});
  BOOST_TEST(reply.exit_code == 0, summary(reply));
  BOOST_TEST(reply.out == "through\n");

  auto on_n1 = v1.inspect(proxy);
  BOOST_TEST_REQUIRE(on_n1.is_object());
  BOOST_TEST(on_n1["backend"] == "Remote");
  const auto& details = on_n1["backend_details"];
  BOOST_TEST(details["enclave_type"] == "simulation", on_n1.dump());
  BOOST_TEST(details["simulated"].get<std::string>().rfind("yes", 0) == 0u,
             on_n1.dump());
  // ps lists the proxy with the type the other node shows, not the
  // request's default agent_type.
  auto listed = parse_stdout(n1->corral({"ps", "--json"}));
  bool found = false;
  for (const auto& entry : listed)
    if (entry["agent_id"] == "sealed") {
      found = true;
      BOOST_TEST(entry["agent_type"] == "echo.wat", entry.dump());
    }
  BOOST_TEST(found, listed.dump());
  // The table shows no memory or fuel for the proxy, because it does not
  // fetch them from n2.
  auto table = n1->corral({"ps"});
  std::istringstream lines{table.out};
  std::string line;
  std::vector<std::string> columns;
  while (std::getline(lines, line)) {
    std::istringstream words{line};
    std::vector<std::string> row{std::istream_iterator<std::string>{words},
                                 std::istream_iterator<std::string>{}};
    if (row.size() > 1 && row[1] == "sealed")
      columns = row;
  }
  BOOST_TEST_REQUIRE(columns.size() == 12u, table.out);
  BOOST_TEST(columns[9] == "-", table.out);
  BOOST_TEST(columns[10] == "-", table.out);

  auto on_n2 = v2.inspect("sealed");
  BOOST_TEST_REQUIRE(on_n2.is_object());
  BOOST_TEST(details["measurement"] == on_n2["backend_details"]["measurement"],
             on_n1.dump());
}

BOOST_AUTO_TEST_CASE(missing_module_on_target_is_named) {
  two_members cluster;
  auto result = cluster.n1->corral(
    {"spawn", "--id", "nomod", "--on", "n2", "--backend",
     R"({"Wasm":{"module":"/nonexistent/agent.wat"}})"});
  BOOST_TEST(result.exit_code != 0, summary(result));
  BOOST_TEST(result.err.find("/nonexistent/agent.wat") != std::string::npos,
             result.err);
  BOOST_TEST(!lists_agent(*cluster.n1, "nomod"));
  BOOST_TEST(!lists_agent(*cluster.n2, "nomod"));
}

BOOST_AUTO_TEST_CASE(unknown_node_is_an_error) {
  two_members cluster;
  auto spawn = cluster.n1->corral({"spawn", "--id", "lost", "--on", "n9"});
  BOOST_TEST(spawn.exit_code != 0, summary(spawn));
  BOOST_TEST(spawn.err.find("node n9 is not known") != std::string::npos,
             spawn.err);
  BOOST_TEST(!lists_agent(*cluster.n1, "lost"));

  auto send = cluster.n1->corral({"send", "n9:1", "echo", "x"});
  BOOST_TEST(send.exit_code != 0, summary(send));
  BOOST_TEST(send.err.find("node_unreachable") != std::string::npos, send.err);
  BOOST_TEST(send.err.find("node n9 is not known") != std::string::npos,
             send.err);
}

BOOST_AUTO_TEST_CASE(refused_spawn_leaves_nothing) {
  two_members cluster;
  auto result = cluster.n1->corral(
    {"spawn", "--id", "bad", "--on", "n2", "--type", "no_such_type"});
  BOOST_TEST(result.exit_code != 0, summary(result));
  BOOST_TEST(result.err.find("agent_type_unknown") != std::string::npos,
             result.err);
  BOOST_TEST(!lists_agent(*cluster.n1, "bad"));
  BOOST_TEST(!lists_agent(*cluster.n2, "bad"));

  // The agent_id is free again on both nodes.
  auto again = cluster.n1->corral({"spawn", "--id", "bad", "--on", "n2"});
  BOOST_TEST(again.exit_code == 0, summary(again));
}

BOOST_AUTO_TEST_CASE(stop_of_proxy_stops_remote_agent) {
  two_members cluster;
  auto result = spawn_json(*cluster.n1, {"--id", "w3", "--on", "n2"});
  auto stop = cluster.n1->corral(
    {"stop", std::to_string(result["pid"].get<int>())});
  BOOST_TEST(stop.exit_code == 0, summary(stop));
  BOOST_TEST(stop.out.find("shutdown") != std::string::npos, stop.out);
  BOOST_TEST(!lists_agent(*cluster.n2, "w3"));
  // n2 stopped the agent on a message from n1 and still serves its own
  // requests.
  auto ps = cluster.n2->corral({"ps"});
  BOOST_TEST(ps.exit_code == 0, summary(ps));
}

BOOST_AUTO_TEST_CASE(node_with_proxies_stops_promptly) {
  two_members cluster;
  spawn_json(*cluster.n1, {"--id", "away-1", "--on", "n2"});
  spawn_json(*cluster.n1, {"--id", "away-2", "--on", "n2"});

  auto start = clock_type::now();
  int code = cluster.n1->process().terminate(seconds{15});
  auto stop_ms = as_milliseconds(clock_type::now() - start);
  BOOST_TEST(code == 0, cluster.n1->process().err());
  // The default grace period is 5 s. The proxies do not wait for it,
  // because their stops cannot leave a node whose cluster has stopped.
  BOOST_TEST(stop_ms < 2500, stop_ms << " ms");
  // n2 stops the agents of the node that left.
  BOOST_TEST(poll_until(seconds{5}, [&] {
    return !lists_agent(*cluster.n2, "away-1")
           && !lists_agent(*cluster.n2, "away-2");
  }));
  std::cout << "n1 with two proxies stopped in " << stop_ms << " ms\n";
}

BOOST_AUTO_TEST_CASE(killed_target_ends_proxy_with_node_down) {
  two_members cluster;
  auto result = spawn_json(*cluster.n1, {"--id", "w4", "--on", "n2"});
  auto proxy_pid = std::to_string(result["pid"].get<int>());

  auto killed_at = clock_type::now();
  ::kill(cluster.n2->process().pid(), SIGKILL);
  auto exit = wait_for_exit(*cluster.v1, proxy_pid, seconds{5});
  auto detection_ms = as_milliseconds(clock_type::now() - killed_at);
  BOOST_TEST_REQUIRE(!exit.is_null(), "the proxy did not exit within 5 s");
  BOOST_TEST(exit["kind"] == "node_down", exit.dump());
  BOOST_TEST(detection_ms < 2000, detection_ms << " ms");
  std::cout << "proxy exited with node_down " << detection_ms
            << " ms after kill -9 of its node\n";

  auto send = cluster.n1->corral(
    {"send", result["global"].get<std::string>(), "echo", "x"});
  BOOST_TEST(send.exit_code != 0, summary(send));
  BOOST_TEST(send.err.find("node_unreachable") != std::string::npos, send.err);
}

BOOST_AUTO_TEST_CASE(frozen_target_fails_requests_early) {
  two_members cluster;
  auto result = spawn_json(*cluster.n1, {"--id", "cold", "--on", "n2"});
  auto proxy_pid = std::to_string(result["pid"].get<int>());
  auto global = result["global"].get<std::string>();

  auto n2_pid = cluster.n2->process().pid();
  continue_at_exit resume{n2_pid};
  BOOST_TEST_REQUIRE(freeze(n2_pid),
                     "node process " << n2_pid << " did not stop");
  auto frozen_at = clock_type::now();

  // A request's own deadline ends it while n2 is only silent, not yet down.
  auto short_start = clock_type::now();
  auto short_request = cluster.n1->corral(
    {"send", "--timeout", "200", global, "echo", "x"});
  auto short_ms = as_milliseconds(clock_type::now() - short_start);
  BOOST_TEST(short_request.exit_code != 0, summary(short_request));
  BOOST_TEST(short_request.err.find("timeout") != std::string::npos,
             short_request.err);

  // A cast is queued for n2, so the sender does not wait for the frozen node.
  auto cast_start = clock_type::now();
  auto cast = cluster.n1->corral({"send", "--cast", global, "note", "lost"});
  auto cast_ms = as_milliseconds(clock_type::now() - cast_start);
  BOOST_TEST(cast.exit_code == 0, summary(cast));

  // A request with the default deadline (5 s) fails once n1 declares n2
  // down, with node_unreachable rather than a timeout.
  auto proxied = cluster.n1->corral({"send", proxy_pid, "echo", "x"});
  auto proxied_ms = as_milliseconds(clock_type::now() - frozen_at);
  BOOST_TEST(proxied.exit_code != 0, summary(proxied));
  BOOST_TEST(proxied.err.find("node_unreachable") != std::string::npos,
             proxied.err);
  BOOST_TEST(cluster.v1->state_of("n2") == "down");

  auto inspect = cluster.n1->corral({"inspect", global});
  BOOST_TEST(inspect.exit_code != 0, summary(inspect));
  BOOST_TEST(inspect.err.find("node_unreachable") != std::string::npos,
             inspect.err);

  // n1 keeps serving its own agents meanwhile.
  auto ps = cluster.n1->corral({"ps"});
  BOOST_TEST(ps.exit_code == 0, summary(ps));
  std::cout << "frozen n2: a request with a 200 ms timeout failed after "
            << short_ms << " ms, a cast returned after " << cast_ms
            << " ms, a request through the proxy failed " << proxied_ms
            << " ms after SIGSTOP\n";
}

namespace {

/// Spawns an agent from n1 on n2, ends n1 with `signal`, and checks that n2
/// stops that agent once it reports n1 as `state`, and still serves ps and
/// spawn.
void check_target_serves_after_spawner_ends(int signal,
                                            const std::string& state) {
  two_members cluster;
  spawn_json(*cluster.n1, {"--id", "orphan", "--on", "n2"});
  BOOST_TEST_REQUIRE(lists_agent(*cluster.n2, "orphan"));

  ::kill(cluster.n1->process().pid(), signal);
  BOOST_TEST_REQUIRE(poll_until(seconds{5}, [&] {
    return cluster.v2->state_of("n1") == state;
  }));
  BOOST_TEST(poll_until(seconds{5}, [&] {
    return !lists_agent(*cluster.n2, "orphan");
  }));
  auto ps = cluster.n2->corral({"ps"});
  BOOST_TEST(ps.exit_code == 0, summary(ps));
  auto spawn = cluster.n2->corral({"spawn", "--id", "after"});
  BOOST_TEST(spawn.exit_code == 0, summary(spawn));
}

} // namespace

BOOST_AUTO_TEST_CASE(target_keeps_serving_after_spawner_dies) {
  check_target_serves_after_spawner_ends(SIGKILL, "down");
}

BOOST_AUTO_TEST_CASE(target_keeps_serving_after_spawner_leaves) {
  check_target_serves_after_spawner_ends(SIGTERM, "left");
}

BOOST_AUTO_TEST_CASE(lifecycle_commands_by_global_pid) {
  two_members cluster;
  auto result = spawn_json(*cluster.n1, {"--id", "w5", "--on", "n2"});
  auto global = result["global"].get<std::string>();

  auto inspect = cluster.n1->corral({"inspect", global, "--json"});
  BOOST_TEST_REQUIRE(inspect.exit_code == 0, summary(inspect));
  BOOST_TEST(parse_stdout(inspect)["node"] == "n2");

  auto suspend = cluster.n1->corral({"suspend", global});
  BOOST_TEST(suspend.exit_code == 0, summary(suspend));
  BOOST_TEST(cluster.v2->inspect("w5")["state"] == "suspended");
  auto resume = cluster.n1->corral({"resume", global});
  BOOST_TEST(resume.exit_code == 0, summary(resume));
  BOOST_TEST(cluster.v2->inspect("w5")["state"] == "running");

  auto restart = cluster.n1->corral({"restart", global, "--json"});
  BOOST_TEST_REQUIRE(restart.exit_code == 0, summary(restart));
  auto restarted = parse_stdout(restart);
  BOOST_TEST(restarted["pid"] == result["pid"]);
  auto now = restarted["global"].get<std::string>();
  BOOST_TEST(now != global);

  auto send = cluster.n1->corral({"send", now, "echo", "again"});
  BOOST_TEST(send.exit_code == 0, summary(send));
  BOOST_TEST(send.out == "again\n");

  auto stop = cluster.n1->corral({"stop", now});
  BOOST_TEST(stop.exit_code == 0, summary(stop));
  BOOST_TEST(stop.out.find("shutdown") != std::string::npos, stop.out);
  BOOST_TEST(!lists_agent(*cluster.n2, "w5"));
}

BOOST_AUTO_TEST_CASE(lifecycle_errors_name_node_and_pid) {
  two_members cluster;
  auto unknown_node = cluster.n1->corral({"stop", "n9:1"});
  BOOST_TEST(unknown_node.exit_code == 1, summary(unknown_node));
  BOOST_TEST(unknown_node.err.find("node_unreachable") != std::string::npos,
             unknown_node.err);
  BOOST_TEST(unknown_node.err.find("node n9 is not known")
               != std::string::npos,
             unknown_node.err);

  auto unknown_pid = cluster.n1->corral({"inspect", "n2:999999"});
  BOOST_TEST(unknown_pid.exit_code == 1, summary(unknown_pid));
  BOOST_TEST(unknown_pid.err.find("process_not_found") != std::string::npos,
             unknown_pid.err);
  BOOST_TEST(unknown_pid.err.find("n2:999999") != std::string::npos,
             unknown_pid.err);

  cluster.n2->process().terminate(seconds{5});
  BOOST_TEST_REQUIRE(poll_until(seconds{5}, [&] {
    auto state = cluster.v1->state_of("n2");
    return state == "left" || state == "down";
  }));
  auto unreachable = cluster.n1->corral({"restart", "n2:1"});
  BOOST_TEST(unreachable.exit_code == 1, summary(unreachable));
  BOOST_TEST(unreachable.err.find("node_unreachable") != std::string::npos,
             unreachable.err);
  BOOST_TEST(unreachable.err.find("node n2 is") != std::string::npos,
             unreachable.err);
}
