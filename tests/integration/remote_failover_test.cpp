// Failover of Remote agents between `corral node` processes on 127.0.0.1:
// with failover any, a WASM agent whose node is killed runs again on
// another member under the same agent_id, or on the spawning node when no
// other member is alive. A member that rejects the restart is skipped. With
// failover none it stays exited with node_down.

#include <algorithm>
#include <csignal>
#include <iostream>
#include <string>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "remote_cluster.hpp"

using namespace corral::testing;
using nlohmann::json;
using std::chrono::seconds;
using clock_type = std::chrono::steady_clock;

namespace {

/// Spawns the examples' WASM echo as `agent_id` from n1 on n2.
json spawn_echo_on_n2(const three_members& cluster,
                      const std::string& agent_id,
                      const std::string& failover) {
  auto result = cluster.n1->corral(
    {"spawn", "--id", agent_id, "--on", "n2", "--failover", failover,
     "--backend", "wasm", "--module",
     std::string{CORRAL_WASM_EXAMPLES_DIR} + "/echo.wat", "--json"});
  BOOST_TEST_REQUIRE(result.exit_code == 0, summary(result));
  return parse_stdout(result);
}

/// Sends an echo request to `agent_id` through n1 and returns the reply.
std::string echo(const three_members& cluster, const std::string& agent_id,
                 const std::string& text) {
  auto reply = cluster.n1->corral({"send", agent_id, "echo", text});
  BOOST_TEST(reply.exit_code == 0, summary(reply));
  return reply.out;
}

} // namespace

BOOST_AUTO_TEST_CASE(failover_any_restarts_on_other_member) {
  three_members cluster;
  auto first = spawn_echo_on_n2(cluster, "wf", "any");
  auto first_global = first["global"].get<std::string>();
  BOOST_TEST_REQUIRE(first_global.rfind("n2:", 0) == 0u, first_global);
  BOOST_TEST(echo(cluster, "wf", "before").find("before") != std::string::npos);

  auto killed_at = clock_type::now();
  ::kill(cluster.n2->process().pid(), SIGKILL);
  json moved;
  bool restarted = poll_until(seconds{10}, [&] {
    auto info = cluster.v1->inspect("wf");
    if (!info.is_object() || info["state"] != "running"
        || info["global"] == first_global)
      return false;
    moved = info;
    return true;
  });
  auto failover_ms = as_milliseconds(clock_type::now() - killed_at);
  BOOST_TEST_REQUIRE(restarted, "wf did not run again within 10 s: "
                                  << cluster.v1->inspect("wf").dump());
  std::cout << "failover: wf ran again on node " << moved["node"]
            << " " << failover_ms << " ms after kill -9 of n2\n";
  BOOST_TEST(failover_ms < 5000, failover_ms << " ms");

  BOOST_TEST(moved["agent_id"] == "wf");
  BOOST_TEST(moved["node"] == "n3", moved.dump());
  auto global = moved["global"].get<std::string>();
  BOOST_TEST(global.rfind("n3:", 0) == 0u, global);
  BOOST_TEST(moved["restart_count"] == 1, moved.dump());
  BOOST_TEST(echo(cluster, "wf", "after").find("after") != std::string::npos);

  auto ps = parse_stdout(cluster.n1->corral({"ps", "--json"}));
  BOOST_TEST_REQUIRE(ps.is_array(), ps.dump());
  auto listed = std::find_if(ps.begin(), ps.end(), [](const json& entry) {
    return entry.value("agent_id", "") == "wf";
  });
  BOOST_TEST_REQUIRE((listed != ps.end()), ps.dump());
  BOOST_TEST((*listed)["node"] == "n3", listed->dump());

  auto on_n3 = cluster.v3->inspect("wf");
  BOOST_TEST_REQUIRE(on_n3.is_object());
  BOOST_TEST(on_n3["backend"] == "Wasm");
}

BOOST_AUTO_TEST_CASE(failover_none_stays_node_down) {
  three_members cluster;
  auto first = spawn_echo_on_n2(cluster, "wn", "none");
  auto proxy_pid = std::to_string(first["pid"].get<int>());
  BOOST_TEST(echo(cluster, "wn", "hi").find("hi") != std::string::npos);

  ::kill(cluster.n2->process().pid(), SIGKILL);
  auto exit = wait_for_exit(*cluster.v1, proxy_pid, seconds{5});
  BOOST_TEST_REQUIRE(!exit.is_null(),
                     "the proxy of wn did not exit within 5 s");
  BOOST_TEST(exit["kind"] == "node_down", exit.dump());

  // Waits past the first backoff (100 ms) and the restart attempt after it.
  std::this_thread::sleep_for(std::chrono::milliseconds{1000});
  auto now = cluster.v1->inspect("wn");
  BOOST_TEST((!now.is_object() || now["state"] == "exited"), now.dump());
  BOOST_TEST(!cluster.v3->inspect("wn").is_object());
}

BOOST_AUTO_TEST_CASE(failover_any_falls_back_to_spawner) {
  two_members cluster;
  auto spawn = cluster.n1->corral(
    {"spawn", "--id", "wl", "--on", "n2", "--failover", "any", "--json"});
  BOOST_TEST_REQUIRE(spawn.exit_code == 0, summary(spawn));

  // With n2 gone, n1 is the only alive member, and it runs Native itself.
  ::kill(cluster.n2->process().pid(), SIGKILL);
  json moved;
  bool restarted = poll_until(seconds{10}, [&] {
    auto info = cluster.v1->inspect("wl");
    if (!info.is_object() || info["state"] != "running"
        || info["backend"] != "Native")
      return false;
    moved = info;
    return true;
  });
  BOOST_TEST_REQUIRE(restarted, "wl did not run again within 10 s: "
                                  << cluster.v1->inspect("wl").dump());
  auto global = moved["global"].get<std::string>();
  BOOST_TEST(global.rfind("n1:", 0) == 0u, global);
  BOOST_TEST(moved["restart_count"] == 1, moved.dump());
  auto reply = cluster.n1->corral({"send", "wl", "echo", "local"});
  BOOST_TEST(reply.exit_code == 0, summary(reply));
  BOOST_TEST(reply.out == "local\n");
}

BOOST_AUTO_TEST_CASE(failover_skips_node_that_refuses) {
  auto n1 = start_cluster_member("n1");
  member_view v1{*n1};
  auto n2 = start_cluster_member("n2", {v1.address()});
  // n3 runs one agent and may run no more, so it rejects every spawn.
  node_process n3{"n3",
                  {"--listen", "tcp://127.0.0.1:0", "--insecure", "--seed",
                   v1.address(), "--max-agents", "1"}};
  auto full = n3.corral({"spawn", "--id", "filler"});
  BOOST_TEST_REQUIRE(full.exit_code == 0, summary(full));
  bool joined = poll_until(seconds{10}, [&] {
    return v1.state_of("n2") == "alive" && v1.state_of("n3") == "alive";
  });
  BOOST_TEST_REQUIRE(joined, "n1 sees n3 as " << v1.state_of("n3"));

  auto spawn = n1->corral({"spawn", "--id", "wr", "--on", "n2", "--prefer",
                           "n3", "--backend", "wasm", "--module",
                           std::string{CORRAL_WASM_EXAMPLES_DIR} + "/echo.wat",
                           "--json"});
  BOOST_TEST_REQUIRE(spawn.exit_code == 0, summary(spawn));

  // n3 comes first but rejects the restart; the next candidate is n1
  // itself, the only other alive member.
  ::kill(n2->process().pid(), SIGKILL);
  json moved;
  bool restarted = poll_until(seconds{15}, [&] {
    auto info = v1.inspect("wr");
    if (!info.is_object() || info["state"] != "running"
        || info["global"].get<std::string>().rfind("n1:", 0) != 0)
      return false;
    moved = info;
    return true;
  });
  BOOST_TEST_REQUIRE(restarted, "wr did not run again on n1 within 15 s: "
                                  << v1.inspect("wr").dump());
  BOOST_TEST(moved["backend"] == "Wasm", moved.dump());
  BOOST_TEST(moved["restart_count"] == 2, moved.dump());
  auto log = n1->process().out() + n1->process().err();
  BOOST_TEST(log.find("node n3 did not start the agent") != std::string::npos,
             log);
  auto reply = n1->corral({"send", "wr", "echo", "here"});
  BOOST_TEST(reply.exit_code == 0, summary(reply));
  BOOST_TEST(reply.out.find("here") != std::string::npos, reply.out);
}
