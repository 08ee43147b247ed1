// The deterministic mode: native agents on CAF's test coordinator, where
// nothing runs until the test runs pending messages or moves the clock.

#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "tests/harness/node_fixture.hpp"

using namespace corral;
using namespace corral::testing;

namespace {

node_config deterministic_config() {
  auto config = node_fixture::test_config();
  config.deterministic = true;
  return config;
}

struct deterministic_fixture : node_fixture {
  deterministic_fixture() : node_fixture(deterministic_config()) {
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(deterministic_mode, deterministic_fixture)

BOOST_AUTO_TEST_CASE(request_reply_runs_without_threads) {
  spawn("det-counter", "counter");

  BOOST_TEST(ask("det-counter", "increment", "5") == "5");
  BOOST_TEST(ask("det-counter", "increment") == "6");
}

BOOST_AUTO_TEST_CASE(restart_waits_for_clock) {
  auto first = spawn("det-worker", "worker");

  BOOST_TEST(ask("det-worker", "crash").rfind("error: ", 0) == 0u);
  node().run_pending();
  BOOST_TEST(pid_of("det-worker") == 0u);

  // The test configuration's backoff is 20 ms.
  node().advance_time(std::chrono::milliseconds{10});
  BOOST_TEST(pid_of("det-worker") == 0u);
  node().advance_time(std::chrono::milliseconds{15});
  auto restarted = pid_of("det-worker");
  BOOST_TEST(restarted != 0u);
  BOOST_TEST(restarted != first.pid);
}

BOOST_AUTO_TEST_CASE(unanswered_request_times_out) {
  spawn_probe("det-hanger");

  auto reply = node().request("det-hanger", "hang", "",
                              std::chrono::milliseconds{50});
  BOOST_REQUIRE(!reply);
  BOOST_TEST(to_string(to_failure(reply.error()).code) == "timeout");
}

BOOST_AUTO_TEST_SUITE_END()
