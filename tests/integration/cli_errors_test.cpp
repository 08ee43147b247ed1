// The corral CLI's errors and exit codes: 1 for a failed operation, 2 for
// a usage error, 3 when no node replies; plus --help and the demo.

#include <csignal>
#include <cstdlib>
#include <string>

#include <boost/test/unit_test.hpp>
#include <sys/stat.h>

#include "cli_checks.hpp"
#include "node_process.hpp"

using namespace corral::testing;
using std::chrono::seconds;

BOOST_AUTO_TEST_SUITE(cli_errors)

BOOST_AUTO_TEST_CASE(unknown_agent_exits_1_with_message) {
  node_process node;
  for (const char* command : {"inspect", "stop", "restart", "suspend"}) {
    auto result = node.corral({command, "ghost"});
    BOOST_TEST(result.exit_code == 1, command << ": " << summary(result));
    BOOST_TEST(result.err.find("process_not_found") != std::string::npos,
               command << ": " << result.err);
    BOOST_TEST(result.err.find("ghost") != std::string::npos,
               command << ": " << result.err);
  }
}

BOOST_AUTO_TEST_CASE(send_to_unknown_agent_exits_1) {
  node_process node;
  auto result = node.corral({"send", "ghost", "ping"});
  BOOST_TEST(result.exit_code == 1, summary(result));
  BOOST_TEST(result.err.find("process_not_found") != std::string::npos,
             result.err);
}

BOOST_AUTO_TEST_CASE(crash_during_send_is_agent_exited) {
  node_process node;
  BOOST_TEST_REQUIRE(node.corral({"spawn", "--id", "w1", "--type", "worker"})
                       .exit_code
                     == 0);
  auto result = node.corral({"send", "w1", "crash", "boom"});
  BOOST_TEST(result.exit_code == 1, summary(result));
  BOOST_TEST(result.err.find("agent_exited") != std::string::npos, result.err);
  BOOST_TEST(result.err.find("crash requested: boom") != std::string::npos,
             result.err);
}

BOOST_AUTO_TEST_CASE(no_node_exits_3_with_hint) {
  temp_directory directory;
  auto path = directory.path() + "/absent.sock";
  for (const char* command : {"ps", "stats", "dead-letters", "ping"}) {
    auto result = run_corral({command, "--control", path});
    BOOST_TEST(result.exit_code == 3, command << ": " << summary(result));
    BOOST_TEST(result.err.find("corral node --id") != std::string::npos,
               command << ": " << result.err);
    BOOST_TEST(split_lines(result.err).size() == 1u, result.err);
  }
}

// A command whose node stops replying after the connect gets no advice to
// start a node, because the node exists and is busy, paused or stopping.
BOOST_AUTO_TEST_CASE(paused_node_exits_3_without_start_hint) {
  node_process node;
  BOOST_TEST_REQUIRE(::kill(node.process().pid(), SIGSTOP) == 0);
  auto result = node.corral({"send", "--timeout", "200", "nobody", "ping"});
  BOOST_TEST_REQUIRE(::kill(node.process().pid(), SIGCONT) == 0);

  BOOST_TEST(result.exit_code == 3, summary(result));
  BOOST_TEST(result.err.find("was listening") != std::string::npos,
             result.err);
  BOOST_TEST(result.err.find("corral node --id") == std::string::npos,
             result.err);
  BOOST_TEST(split_lines(result.err).size() == 1u, result.err);
}

// A command for the default node "local", on a machine whose nodes have
// other ids, names the nodes whose control sockets it found.
BOOST_AUTO_TEST_CASE(no_node_names_other_sockets) {
  temp_directory directory;
  const char* saved = std::getenv("XDG_RUNTIME_DIR");
  std::string restore = saved == nullptr ? "" : saved;
  ::setenv("XDG_RUNTIME_DIR", directory.path().c_str(), 1);
  BOOST_TEST_REQUIRE(::mkdir((directory.path() + "/corral").c_str(), 0700)
                     == 0);
  make_stale_socket(directory.path() + "/corral/n2.sock");
  make_stale_socket(directory.path() + "/corral/n1.sock");

  auto result = run_corral({"ps", "--connect-timeout", "300"});
  if (saved == nullptr)
    ::unsetenv("XDG_RUNTIME_DIR");
  else
    ::setenv("XDG_RUNTIME_DIR", restore.c_str(), 1);

  BOOST_TEST(result.exit_code == 3, summary(result));
  BOOST_TEST(result.err.find("(n1, n2)") != std::string::npos, result.err);
  BOOST_TEST(result.err.find("--node n1") != std::string::npos, result.err);
  BOOST_TEST(result.err.find("corral node --id local") != std::string::npos,
             result.err);
  BOOST_TEST(split_lines(result.err).size() == 1u, result.err);
}

BOOST_AUTO_TEST_CASE(stale_socket_exits_3_within_connect_timeout) {
  // A socket file whose listener has gone, as a node that died leaves it.
  temp_directory directory;
  auto path = directory.path() + "/stale.sock";
  make_stale_socket(path);
  auto start = std::chrono::steady_clock::now();
  auto result = run_corral({"ps", "--control", path, "--connect-timeout",
                            "300"});
  auto elapsed = std::chrono::steady_clock::now() - start;
  BOOST_TEST(result.exit_code == 3, summary(result));
  BOOST_TEST(result.err.find("corral node --id") != std::string::npos,
             result.err);
  BOOST_TEST(as_milliseconds(elapsed) < 5000);
}

BOOST_AUTO_TEST_CASE(bad_json_request_names_field) {
  node_process node;
  auto result = node.corral(
    {"spawn", "--json-request", "-"}, seconds{20},
    R"({"agent_id":"a1","limits":{"max_messages":"many"}})");
  BOOST_TEST(result.exit_code == 1, summary(result));
  BOOST_TEST(result.err.find("invalid_request") != std::string::npos,
             result.err);
  BOOST_TEST(result.err.find("spawn_request.limits.max_messages")
               != std::string::npos,
             result.err);
}

BOOST_AUTO_TEST_CASE(missing_agent_id_names_field) {
  node_process node;
  auto result = node.corral({"spawn", "--json-request", "-"}, seconds{20},
                            R"({"agent_type":"worker"})");
  BOOST_TEST(result.exit_code == 1, summary(result));
  BOOST_TEST(result.err.find("spawn_request.agent_id") != std::string::npos,
             result.err);
}

BOOST_AUTO_TEST_CASE(invalid_json_syntax_exits_1) {
  node_process node;
  auto result = node.corral({"spawn", "--json-request", "-"}, seconds{20},
                            R"({"agent_id": )");
  BOOST_TEST(result.exit_code == 1, summary(result));
  BOOST_TEST(result.err.find("invalid JSON") != std::string::npos, result.err);
}

BOOST_AUTO_TEST_CASE(nul_in_json_request_names_byte) {
  node_process node;
  const std::string text{"{\"agent_id\":\"a1\"}\0junk", 22};
  auto result = node.corral({"spawn", "--json-request", "-"}, seconds{20},
                            text);
  BOOST_TEST(result.exit_code == 1, summary(result));
  BOOST_TEST(result.err.find("invalid JSON at byte 18: a NUL byte")
               != std::string::npos,
             result.err);
  BOOST_TEST(node.corral({"inspect", "a1"}).exit_code == 1);
}

BOOST_AUTO_TEST_CASE(unknown_agent_type_exits_1) {
  node_process node;
  auto result = node.corral({"spawn", "--id", "x1", "--type", "no_such"});
  BOOST_TEST(result.exit_code == 1, summary(result));
  BOOST_TEST(result.err.find("no_such") != std::string::npos, result.err);
}

BOOST_AUTO_TEST_CASE(duplicate_agent_id_exits_1) {
  node_process node;
  BOOST_TEST_REQUIRE(node.corral({"spawn", "--id", "x1"}).exit_code == 0);
  auto result = node.corral({"spawn", "--id", "x1"});
  BOOST_TEST(result.exit_code == 1, summary(result));
  BOOST_TEST(result.err.find("x1") != std::string::npos, result.err);
  // The holder is named by global pid: a spawn from another node of the
  // cluster gets this error too.
  BOOST_TEST(result.err.find("live pid it:1") != std::string::npos,
             result.err);
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2) {
  auto no_command = run_corral({});
  BOOST_TEST(no_command.exit_code == 2, summary(no_command));
  auto unknown = run_corral({"frobnicate"});
  BOOST_TEST(unknown.exit_code == 2, summary(unknown));
  auto missing_target = run_corral({"inspect"});
  BOOST_TEST(missing_target.exit_code == 2, summary(missing_target));
  auto both = run_corral({"stop", "x", "--now", "--grace", "10"});
  BOOST_TEST(both.exit_code == 2, summary(both));
  auto no_id = run_corral({"spawn"});
  BOOST_TEST(no_id.exit_code == 2, summary(no_id));
  auto bad_env = run_corral({"spawn", "--id", "a", "--env", "NOEQUALS"});
  BOOST_TEST(bad_env.exit_code == 2, summary(bad_env));
  auto bad_backend = run_corral({"spawn", "--id", "a", "--backend", "vm"});
  BOOST_TEST(bad_backend.exit_code == 2, summary(bad_backend));
  auto remote_control = run_corral({"ps", "--control", "tcp://10.1.2.3:7000"});
  BOOST_TEST(remote_control.exit_code == 2, summary(remote_control));
  BOOST_TEST(remote_control.err.find("loopback") != std::string::npos,
             remote_control.err);
}

BOOST_AUTO_TEST_CASE(every_command_has_help) {
  for (const char* command :
       {"node", "spawn", "send", "publish", "ps", "inspect", "stop",
        "restart", "suspend", "resume", "watch", "dead-letters", "stats",
        "ping", "demo"}) {
    auto result = run_corral({command, "--help"});
    BOOST_TEST(result.exit_code == 0, command << ": " << summary(result));
    BOOST_TEST(result.out.find("Usage") != std::string::npos,
               command << ": " << result.out);
  }
  auto top = run_corral({"--help"});
  BOOST_TEST(top.exit_code == 0, summary(top));
}

BOOST_AUTO_TEST_CASE(demo_shows_restart_and_exits_0) {
  auto start = std::chrono::steady_clock::now();
  auto result = run_corral({"demo"}, seconds{30});
  auto elapsed = std::chrono::steady_clock::now() - start;
  BOOST_TEST(result.exit_code == 0, summary(result));
  BOOST_TEST(result.out.find("done: job-1") != std::string::npos, result.out);
  BOOST_TEST(result.out.find("the supervisor restarted worker-1")
               != std::string::npos,
             result.out);
  BOOST_TEST(result.out.find("restart count 1") != std::string::npos,
             result.out);
  BOOST_TEST(result.out.find("done: job-2") != std::string::npos, result.out);
  BOOST_TEST(as_milliseconds(elapsed) < 10'000);
}

BOOST_AUTO_TEST_CASE(demo_spawns_on_other_cluster_node) {
  auto result = run_corral({"demo"}, seconds{30});
  BOOST_TEST_REQUIRE(result.exit_code == 0, summary(result));
  BOOST_TEST(result.out.find("spawned remote-loop (command_loop on demo-n2) "
                             "from demo-n1 as demo-n2:")
               != std::string::npos,
             result.out);
  BOOST_TEST(result.out.find("=> hello across nodes") != std::string::npos,
             result.out);
  BOOST_TEST(result.out.find("=> and back") != std::string::npos, result.out);
  BOOST_TEST(result.out.find("=> from a remote sandbox") != std::string::npos,
             result.out);
  // The summary comes last and names the remote reply.
  auto summary_at = result.out.find("== summary");
  auto cluster_line = result.out.find("cluster: demo-n1 and demo-n2 joined");
  BOOST_TEST_REQUIRE(summary_at != std::string::npos, result.out);
  BOOST_TEST_REQUIRE(cluster_line != std::string::npos, result.out);
  BOOST_TEST(cluster_line > summary_at, result.out);
  BOOST_TEST(result.out.find("replied \"hello across nodes\"", summary_at)
               != std::string::npos,
             result.out);
}

BOOST_AUTO_TEST_SUITE_END()
