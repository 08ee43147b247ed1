// Tee agents while their enclave host is attested: the attestation runs on
// the agent's own thread, so a host that stalls at the challenge holds up
// neither the kernel nor a stop of the agent.

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "tee_test_support.hpp"

using namespace corral;
using namespace corral::testing;
using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;

namespace {

/// Returns options whose enclave hosts stall at the challenge for longer
/// than `timeout`.
tee::tee_options stalling_options(milliseconds timeout) {
  auto options = simulation_options(tee::test_fault::stall_before_evidence);
  options.attestation_timeout = timeout;
  return options;
}

/// Spawns `request` on a thread of its own, because the spawn returns
/// only when the attestation ends.
class background_spawn {
public:
  background_spawn(node& target, spawn_request request)
    : thread_([this, &target, request = std::move(request)] {
        result_ = target.spawn(request);
      }) {
  }

  ~background_spawn() {
    if (thread_.joinable())
      thread_.join();
  }

  /// Waits for the spawn to return and gives its result.
  caf::expected<spawn_result> result() {
    thread_.join();
    return std::move(*result_);
  }

private:
  std::optional<caf::expected<spawn_result>> result_;
  std::thread thread_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(tee_start)

BOOST_AUTO_TEST_CASE(stalled_host_leaves_kernel_free) {
  tee_node fixture{stalling_options(milliseconds{3000})};
  background_spawn stalled{fixture.node(),
                           tee_request("stalled", example_module("echo.wat"))};
  BOOST_TEST_REQUIRE(wait_until(
    [&] { return fixture.state_of("stalled") == "starting"; }, patience));

  // The host stalls for 3 s, so a kernel that waited for it would
  // complete this spawn only after that.
  auto start = clock_type::now();
  fixture.spawn("meanwhile");
  auto took = std::chrono::duration_cast<milliseconds>(clock_type::now()
                                                      - start);
  BOOST_TEST(took.count() < 1000);

  auto result = stalled.result();
  BOOST_TEST_REQUIRE(!result);
  BOOST_TEST(code_of(result) == errc::attestation_failed);
  BOOST_TEST(describe(result.error()).find("did not answer the challenge")
               != std::string::npos,
             describe(result.error()));
  BOOST_TEST(enclave_host_children() == 0);
}

BOOST_AUTO_TEST_CASE(stop_ends_attestation_at_once) {
  tee_node fixture{stalling_options(milliseconds{20000})};
  background_spawn stalled{fixture.node(),
                           tee_request("stalled", example_module("echo.wat"))};
  BOOST_TEST_REQUIRE(wait_until(
    [&] { return fixture.state_of("stalled") == "starting"; }, patience));

  auto start = clock_type::now();
  auto stopped = fixture.node().stop("stalled", {true, 0});
  auto result = stalled.result();
  auto took = std::chrono::duration_cast<milliseconds>(clock_type::now()
                                                      - start);
  BOOST_TEST(static_cast<bool>(stopped));
  BOOST_TEST(!result);
  BOOST_TEST(took.count() < 5000);
  BOOST_TEST(enclave_host_children() == 0);
  BOOST_TEST(fixture.state_of("stalled") != "running");
}

BOOST_AUTO_TEST_CASE(inspect_shows_enclave_after_start) {
  tee_node fixture;
  fixture.spawn(tee_request("enclave", example_module("echo.wat")));
  auto info = fixture.node().inspect("enclave");
  BOOST_TEST_REQUIRE(static_cast<bool>(info));
  BOOST_TEST(std::string{to_string(info->state)} == "running");
  BOOST_TEST(info->backend_details["enclave_type"] == "simulation");
  BOOST_TEST(info->backend_details["enclave_host_pid"].size() > 0u);
  BOOST_TEST(fixture.ask("enclave", "echo", "after") == "after");
}

BOOST_AUTO_TEST_SUITE_END()
