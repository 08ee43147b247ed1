// The corral CLI with WASM agents against a real `corral node` process:
// spawn with --backend wasm --module, messages, ps and inspect, and the
// usage errors of those flags.

#include <filesystem>
#include <string>

#include <boost/test/unit_test.hpp>

#include "cli_checks.hpp"
#include "node_process.hpp"

using namespace corral::testing;

namespace {

std::string example(const std::string& file) {
  return std::string{CORRAL_WASM_EXAMPLES_DIR} + "/" + file;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cli_wasm)

BOOST_AUTO_TEST_CASE(spawn_wasm_and_send) {
  node_process node;
  auto spawned = node.corral({"spawn", "--id", "echo", "--backend", "wasm",
                              "--module", example("echo.wat")});
  BOOST_TEST_REQUIRE(spawned.exit_code == 0, summary(spawned));
  auto reply = node.corral({"send", "echo", "hi", "from the CLI"});
  BOOST_TEST(reply.exit_code == 0, summary(reply));
  BOOST_TEST(reply.out == "from the CLI\n");

  auto ps = node.corral({"ps"});
  BOOST_TEST_REQUIRE(ps.exit_code == 0, summary(ps));
  BOOST_TEST(ps.out.find("echo.wat") != std::string::npos, ps.out);
  BOOST_TEST(ps.out.find("Wasm") != std::string::npos, ps.out);
  BOOST_TEST(ps.out.find("64K") != std::string::npos, ps.out);

  auto inspect = node.corral({"inspect", "echo"});
  BOOST_TEST_REQUIRE(inspect.exit_code == 0, summary(inspect));
  BOOST_TEST(inspect.out.find("fuel: ") != std::string::npos, inspect.out);
  BOOST_TEST(inspect.out.find("fuel: 0\n") == std::string::npos, inspect.out);
}

BOOST_AUTO_TEST_CASE(relative_module_path_is_made_absolute) {
  node_process node;
  auto relative = std::filesystem::relative(example("counter.wat")).string();
  BOOST_TEST_REQUIRE(relative.front() != '/');
  auto spawned = node.corral({"spawn", "--id", "c", "--backend", "wasm",
                              "--module", relative});
  BOOST_TEST_REQUIRE(spawned.exit_code == 0, summary(spawned));
  auto added = node.corral({"send", "c", "add", "41"});
  BOOST_TEST(added.out == "41\n", summary(added));
}

BOOST_AUTO_TEST_CASE(wasm_without_module_is_usage_error) {
  node_process node;
  auto result = node.corral({"spawn", "--id", "x", "--backend", "wasm"});
  BOOST_TEST(result.exit_code == 2, summary(result));
  BOOST_TEST(result.err.find("--module") != std::string::npos, result.err);
}

BOOST_AUTO_TEST_CASE(module_without_backend_is_usage_error) {
  node_process node;
  auto result = node.corral(
    {"spawn", "--id", "x", "--module", example("echo.wat")});
  BOOST_TEST(result.exit_code == 2, summary(result));
  BOOST_TEST(result.err.find("--backend wasm") != std::string::npos,
             result.err);
}

BOOST_AUTO_TEST_CASE(bad_module_fails_with_reason) {
  node_process node;
  auto result = node.corral({"spawn", "--id", "x", "--backend", "wasm",
                             "--module", "/nonexistent/agent.wasm"});
  BOOST_TEST(result.exit_code == 1, summary(result));
  BOOST_TEST(result.err.find("spawn_failed") != std::string::npos,
             result.err);
  BOOST_TEST(result.err.find("/nonexistent/agent.wasm") != std::string::npos,
             result.err);
  auto ps = node.corral({"ps", "--all"});
  BOOST_TEST(ps.out.find(" x ") == std::string::npos, ps.out);
}

BOOST_AUTO_TEST_SUITE_END()
