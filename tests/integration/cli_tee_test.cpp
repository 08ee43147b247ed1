// Tee agents in a real `corral node` process: spawn and inspect through
// the CLI, and no enclave host left running after the node is killed.

#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "cli_checks.hpp"
#include "node_process.hpp"

using namespace corral::testing;

namespace {

/// A handler that loops until its time limit ends it.
const char* spin_wat = R"((module
  (memory (export "memory") 1)
  (func (export "corral_on_message") (param i32 i32 i32) (result i32)
    (loop $forever (br $forever))
    (i32.const 0)))
)";

/// Returns true while process `pid` exists and is not a zombie.
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line))
    return false;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size()
         && line[close + 2] != 'Z';
}

} // namespace

BOOST_AUTO_TEST_SUITE(cli_tee)

BOOST_AUTO_TEST_CASE(killed_node_leaves_no_host) {
  node_process node("tee", {"--tee-allow", "simulation"});
  auto workload = node.directory() + "/spin.wat";
  std::ofstream(workload) << spin_wat;
  // Limits that keep the handler running for a minute.
  auto request = R"({"agent_id":"spin","backend":{"Tee":{"enclave":{)"
                 R"("enclave_type":"simulation","workload":")"
                 + workload
                 + R"("}}},"limits":{"fuel_per_message":1000000000000,)"
                   R"("message_timeout_ms":60000}})";
  auto spawned = node.corral({"spawn", "--json-request", "-"},
                             std::chrono::seconds{20}, request);
  BOOST_TEST_REQUIRE(spawned.exit_code == 0, summary(spawned));
  auto inspected = node.corral({"inspect", "spin", "--json"});
  BOOST_TEST_REQUIRE(inspected.exit_code == 0, summary(inspected));
  auto host = static_cast<pid_t>(std::stoi(
    parse_stdout(inspected)["backend_details"]["enclave_host_pid"]
      .get<std::string>()));
  auto cast = node.corral({"send", "--cast", "spin", "go"});
  BOOST_TEST_REQUIRE(cast.exit_code == 0, summary(cast));
  std::this_thread::sleep_for(std::chrono::milliseconds{200});
  BOOST_TEST_REQUIRE(alive(host));

  ::kill(node.process().pid(), SIGKILL);
  node.process().wait_for_exit(std::chrono::seconds{5});
  bool ended = false;
  for (int i = 0; i < 30 && !ended; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
    ended = !alive(host);
  }
  if (!ended)
    ::kill(host, SIGKILL); // the test's own host, still running
  BOOST_TEST(ended, "enclave host " << host
                                    << " still ran 3 s after the node died");
}

BOOST_AUTO_TEST_SUITE_END()
