// Tee agents in a real `corral node` process: spawn with --backend tee and
// inspect through the CLI, the usage errors of the Tee flags, and no
// enclave host left running after the node is killed.

#include <chrono>
#include <csignal>
#include <filesystem>
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

std::string example(const std::string& file) {
  return std::string{CORRAL_WASM_EXAMPLES_DIR} + "/" + file;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cli_tee)

BOOST_AUTO_TEST_CASE(backend_tee_spawns_simulated_enclave) {
  node_process node("tee", {"--tee-allow", "simulation"});
  // A relative workload path reaches the node as an absolute one.
  auto relative = std::filesystem::relative(example("echo.wat")).string();
  BOOST_TEST_REQUIRE(relative.front() != '/');
  auto spawned = node.corral({"spawn", "--id", "enclave", "--backend", "tee",
                              "--module", relative},
                             std::chrono::seconds{20});
  BOOST_TEST_REQUIRE(spawned.exit_code == 0, summary(spawned));
  auto reply = node.corral({"send", "enclave", "echo", "sealed"});
  BOOST_TEST(reply.exit_code == 0, summary(reply));
  BOOST_TEST(reply.out == "sealed\n");

  auto inspected = node.corral({"inspect", "enclave", "--json"});
  BOOST_TEST_REQUIRE(inspected.exit_code == 0, summary(inspected));
  auto details = parse_stdout(inspected)["backend_details"];
  BOOST_TEST(details["enclave_type"] == "simulation", details.dump());
  BOOST_TEST(details["measurement"].get<std::string>().size() == 64u,
             details.dump());
}

BOOST_AUTO_TEST_CASE(backend_tee_checks_measurement) {
  node_process node("tee", {"--tee-allow", "simulation"});
  auto spawned = node.corral({"spawn", "--id", "enclave", "--backend", "tee",
                              "--module", example("echo.wat"),
                              "--measurement", std::string(64, '0')},
                             std::chrono::seconds{20});
  BOOST_TEST(spawned.exit_code != 0, summary(spawned));
  BOOST_TEST(spawned.err.find("attestation_failed") != std::string::npos,
             summary(spawned));
  auto ps = node.corral({"ps"});
  BOOST_TEST(ps.out.find("enclave") == std::string::npos, ps.out);
}

BOOST_AUTO_TEST_CASE(tee_flags_are_usage_errors_alone) {
  node_process node;
  auto no_module = node.corral({"spawn", "--id", "x", "--backend", "tee"});
  BOOST_TEST(no_module.exit_code == 2, summary(no_module));
  BOOST_TEST(no_module.err.find("--module") != std::string::npos,
             no_module.err);

  auto no_backend = node.corral(
    {"spawn", "--id", "x", "--enclave-type", "sgx"});
  BOOST_TEST(no_backend.exit_code == 2, summary(no_backend));
  BOOST_TEST(no_backend.err.find("--backend tee") != std::string::npos,
             no_backend.err);

  auto bad_type = node.corral({"spawn", "--id", "x", "--backend", "tee",
                               "--module", example("echo.wat"),
                               "--enclave-type", "quantum"});
  BOOST_TEST(bad_type.exit_code == 2, summary(bad_type));
}

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
