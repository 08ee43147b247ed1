// The table of requests to other nodes and its one timer. A request arms
// the gateway's timer only when no timer is due by its deadline. A timer
// that fires re-arms only when no other is due by the next deadline.

#include <boost/test/unit_test.hpp>

#include "backends/remote/outbound_requests.hpp"

using corral::remote::outbound_requests;
using clock_type = outbound_requests::clock;
using std::chrono::milliseconds;

namespace {

/// Returns a request to node b that waits `timeout`, with no requester.
outbound_requests::entry request_for(milliseconds timeout) {
  outbound_requests::entry request;
  request.node = "b";
  request.timeout = timeout;
  return request;
}

} // namespace

BOOST_AUTO_TEST_CASE(only_earliest_deadline_arms_timer) {
  outbound_requests table;
  auto first = table.add(request_for(milliseconds{200}));
  auto later = table.add(request_for(milliseconds{400}));
  auto earlier = table.add(request_for(milliseconds{100}));

  BOOST_TEST(first.arm);
  BOOST_TEST(first.delay.count() > 0);
  BOOST_TEST(first.delay.count() <= 200'000);
  BOOST_TEST(!later.arm);
  BOOST_TEST(earlier.arm);
  BOOST_TEST(earlier.delay.count() <= 100'000);
  BOOST_TEST(table.size() == 3u);
}

BOOST_AUTO_TEST_CASE(timer_takes_expired_and_rearms) {
  outbound_requests table;
  auto start = clock_type::now();
  auto early = table.add(request_for(milliseconds{100}));
  table.add(request_for(milliseconds{300}));
  std::optional<clock_type::time_point> next;

  auto expired = table.take_expired(start + milliseconds{200}, next);

  BOOST_TEST_REQUIRE(expired.size() == 1u);
  BOOST_TEST(expired.front().timeout.count() == 100);
  BOOST_TEST(!table.take(early.id).has_value());
  BOOST_TEST_REQUIRE(next.has_value());
  BOOST_TEST((*next >= start + milliseconds{300}));
  BOOST_TEST(table.size() == 1u);
}

BOOST_AUTO_TEST_CASE(superseded_timer_does_not_rearm_twice) {
  outbound_requests table;
  auto start = clock_type::now();
  // The first timer is armed for 300 ms, then a second for 100 ms.
  auto slow = table.add(request_for(milliseconds{300}));
  BOOST_TEST_REQUIRE(slow.arm);
  BOOST_TEST_REQUIRE(table.add(request_for(milliseconds{100})).arm);
  std::optional<clock_type::time_point> next;

  // The 100 ms timer fires and arms one for the 300 ms request.
  BOOST_TEST(table.take_expired(start + milliseconds{150}, next).size() == 1u);
  BOOST_TEST_REQUIRE(next.has_value());
  // Its reply comes, and a request due after the timer just armed needs
  // none of its own.
  BOOST_TEST(table.take(slow.id).has_value());
  BOOST_TEST(!table.add(request_for(milliseconds{1000})).arm);
  // The first timer, armed for 300 ms, fires and arms one for the 1 s
  // request.
  BOOST_TEST(table.take_expired(start + milliseconds{310}, next).empty());
  BOOST_TEST_REQUIRE(next.has_value());
  BOOST_TEST((*next >= start + milliseconds{1000}));
  // The timer armed at 150 ms for 300 ms fires, and the one for the 1 s
  // request is still due.
  BOOST_TEST(table.take_expired(start + milliseconds{320}, next).empty());
  BOOST_TEST(!next.has_value());
  BOOST_TEST(table.size() == 1u);
}

BOOST_AUTO_TEST_CASE(answered_request_not_expired) {
  outbound_requests table;
  auto start = clock_type::now();
  auto added = table.add(request_for(milliseconds{100}));
  BOOST_TEST_REQUIRE(table.take_from(added.id, "b").has_value());
  std::optional<clock_type::time_point> next;

  BOOST_TEST(table.take_expired(start + milliseconds{200}, next).empty());
  BOOST_TEST(!next.has_value());
  BOOST_TEST(table.size() == 0u);
}

BOOST_AUTO_TEST_CASE(reply_from_other_node_keeps_request) {
  outbound_requests table;
  auto added = table.add(request_for(milliseconds{100}));

  BOOST_TEST(!table.take_from(added.id, "c").has_value());
  BOOST_TEST(table.size() == 1u);
}

BOOST_AUTO_TEST_CASE(disarm_lets_next_request_arm) {
  outbound_requests table;
  BOOST_TEST_REQUIRE(table.add(request_for(milliseconds{100})).arm);
  BOOST_TEST(table.take_all().size() == 1u);

  table.disarm();

  BOOST_TEST(table.add(request_for(milliseconds{500})).arm);
}

BOOST_AUTO_TEST_CASE(node_down_takes_its_deadlines) {
  outbound_requests table;
  auto start = clock_type::now();
  auto to_b = table.add(request_for(milliseconds{100}));
  auto to_c_entry = request_for(milliseconds{200});
  to_c_entry.node = "c";
  table.add(std::move(to_c_entry));

  BOOST_TEST(table.take_all_to("b").size() == 1u);
  BOOST_TEST(!table.take(to_b.id).has_value());
  std::optional<clock_type::time_point> next;
  auto expired = table.take_expired(start + milliseconds{300}, next);

  BOOST_TEST_REQUIRE(expired.size() == 1u);
  BOOST_TEST(expired.front().node == "c");
  BOOST_TEST(table.size() == 0u);
}
