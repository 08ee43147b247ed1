// The pure supervision policy: restart decisions per restart type, restart
// intensity, backoff delays and restart groups per strategy.

#include <chrono>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "actors/supervision_policy.hpp"

using namespace corral;
using namespace std::chrono_literals;

namespace {

const exit_reason normal_exit{exit_kind::normal, {}};
const exit_reason shutdown_exit{exit_kind::shutdown, {}};
const exit_reason crashed_exit{exit_kind::crashed, "boom"};
const exit_reason killed_exit{exit_kind::killed, {}};

supervisor_spec spec_with(std::uint32_t max_restarts,
                          std::uint64_t period_ms) {
  supervisor_spec spec;
  spec.max_restarts = max_restarts;
  spec.period_ms = period_ms;
  return spec;
}

} // namespace

BOOST_AUTO_TEST_SUITE(restart_decision)

BOOST_AUTO_TEST_CASE(permanent_restarts_after_every_exit) {
  BOOST_TEST(should_restart(restart_type::permanent, normal_exit));
  BOOST_TEST(should_restart(restart_type::permanent, shutdown_exit));
  BOOST_TEST(should_restart(restart_type::permanent, crashed_exit));
  BOOST_TEST(should_restart(restart_type::permanent, killed_exit));
}

BOOST_AUTO_TEST_CASE(transient_restarts_after_abnormal_exit) {
  BOOST_TEST(!should_restart(restart_type::transient, normal_exit));
  BOOST_TEST(!should_restart(restart_type::transient, shutdown_exit));
  BOOST_TEST(should_restart(restart_type::transient, crashed_exit));
  BOOST_TEST(should_restart(restart_type::transient, killed_exit));
}

BOOST_AUTO_TEST_CASE(temporary_never_restarts) {
  BOOST_TEST(!should_restart(restart_type::temporary, normal_exit));
  BOOST_TEST(!should_restart(restart_type::temporary, shutdown_exit));
  BOOST_TEST(!should_restart(restart_type::temporary, crashed_exit));
  BOOST_TEST(!should_restart(restart_type::temporary, killed_exit));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(intensity)

BOOST_AUTO_TEST_CASE(allows_max_then_rejects_next) {
  auto spec = spec_with(3, 1000);
  restart_intensity intensity;
  auto start = restart_intensity::clock::time_point{} + 1h;

  BOOST_TEST(intensity.record(spec, start));
  BOOST_TEST(intensity.record(spec, start + 10ms));
  BOOST_TEST(intensity.record(spec, start + 20ms));
  BOOST_TEST(!intensity.record(spec, start + 30ms));
}

BOOST_AUTO_TEST_CASE(forgets_restarts_older_than_period) {
  auto spec = spec_with(2, 1000);
  restart_intensity intensity;
  auto start = restart_intensity::clock::time_point{} + 1h;
  intensity.record(spec, start);
  intensity.record(spec, start + 100ms);

  BOOST_TEST(intensity.record(spec, start + 1050ms));
  BOOST_TEST(intensity.recent() == 2u);
}

BOOST_AUTO_TEST_CASE(counts_restarts_within_period) {
  auto spec = spec_with(5, 1000);
  restart_intensity intensity;
  auto start = restart_intensity::clock::time_point{} + 1h;
  intensity.record(spec, start);
  intensity.record(spec, start + 500ms);
  intensity.record(spec, start + 1000ms);

  BOOST_TEST(intensity.recent() == 3u);
}

BOOST_AUTO_TEST_CASE(zero_max_rejects_first_restart) {
  auto spec = spec_with(0, 1000);
  restart_intensity intensity;

  BOOST_TEST(!intensity.record(spec, restart_intensity::clock::now()));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(backoff)

BOOST_AUTO_TEST_CASE(doubles_per_restart) {
  supervisor_spec spec;
  spec.backoff_initial_ms = 100;
  spec.backoff_max_ms = 10'000;

  BOOST_TEST(backoff_delay(spec, 1).count() == 100);
  BOOST_TEST(backoff_delay(spec, 2).count() == 200);
  BOOST_TEST(backoff_delay(spec, 3).count() == 400);
  BOOST_TEST(backoff_delay(spec, 4).count() == 800);
}

BOOST_AUTO_TEST_CASE(stops_at_cap) {
  supervisor_spec spec;
  spec.backoff_initial_ms = 100;
  spec.backoff_max_ms = 1000;

  BOOST_TEST(backoff_delay(spec, 4).count() == 800);
  BOOST_TEST(backoff_delay(spec, 5).count() == 1000);
  BOOST_TEST(backoff_delay(spec, 6).count() == 1000);
  BOOST_TEST(backoff_delay(spec, 1000).count() == 1000);
}

BOOST_AUTO_TEST_CASE(initial_above_cap_is_capped) {
  supervisor_spec spec;
  spec.backoff_initial_ms = 5000;
  spec.backoff_max_ms = 1000;

  BOOST_TEST(backoff_delay(spec, 1).count() == 1000);
}

BOOST_AUTO_TEST_CASE(zero_initial_never_waits) {
  supervisor_spec spec;
  spec.backoff_initial_ms = 0;

  BOOST_TEST(backoff_delay(spec, 1).count() == 0);
  BOOST_TEST(backoff_delay(spec, 10).count() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(groups)

using positions = std::vector<std::size_t>;

BOOST_AUTO_TEST_CASE(one_for_one_restarts_failed_only) {
  BOOST_TEST(restart_group(restart_strategy::one_for_one, 2, 5)
             == positions({2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(one_for_all_restarts_every_child) {
  BOOST_TEST(restart_group(restart_strategy::one_for_all, 2, 5)
             == positions({0, 1, 2, 3, 4}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rest_for_one_restarts_failed_and_later) {
  BOOST_TEST(restart_group(restart_strategy::rest_for_one, 2, 5)
             == positions({2, 3, 4}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rest_for_one_of_first_is_all) {
  BOOST_TEST(restart_group(restart_strategy::rest_for_one, 0, 3)
             == positions({0, 1, 2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rest_for_one_of_last_is_last) {
  BOOST_TEST(restart_group(restart_strategy::rest_for_one, 2, 3)
             == positions({2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
