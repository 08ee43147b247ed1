// The dead-letter queue: bounded, oldest dropped first, counted; and the
// letters a node records for messages it cannot deliver.

#include <string>

#include <boost/test/unit_test.hpp>

#include "actors/dead_letter_queue.hpp"
#include "kernel_test_support.hpp"

using namespace corral;
using namespace corral::testing;

namespace {

dead_letter letter(const std::string& topic) {
  dead_letter result;
  result.message.topic = topic;
  result.target = "nobody";
  return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(queue)

BOOST_AUTO_TEST_CASE(full_queue_drops_oldest) {
  dead_letter_queue letters{3};
  for (int i = 1; i <= 5; ++i)
    letters.post(letter("m" + std::to_string(i)));

  auto kept = letters.snapshot();

  BOOST_REQUIRE(kept.size() == 3u);
  BOOST_TEST(kept[0].message.topic == "m3");
  BOOST_TEST(kept[1].message.topic == "m4");
  BOOST_TEST(kept[2].message.topic == "m5");
}

BOOST_AUTO_TEST_CASE(drops_and_posts_are_counted) {
  dead_letter_queue letters{3};
  for (int i = 1; i <= 5; ++i)
    letters.post(letter("m" + std::to_string(i)));

  BOOST_TEST(letters.dropped() == 2u);
  BOOST_TEST(letters.total() == 5u);
}

BOOST_AUTO_TEST_CASE(zero_capacity_keeps_one) {
  dead_letter_queue letters{0};
  letters.post(letter("m1"));
  letters.post(letter("m2"));

  auto kept = letters.snapshot();

  BOOST_REQUIRE(kept.size() == 1u);
  BOOST_TEST(kept[0].message.topic == "m2");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(node_letters)

BOOST_AUTO_TEST_CASE(node_queue_uses_configured_capacity) {
  auto config = node_fixture::test_config();
  config.dead_letter_capacity = 3;
  node_fixture fixture{config};
  for (int i = 1; i <= 5; ++i)
    fixture.node().send("missing-" + std::to_string(i), "topic", {});

  auto kept = fixture.node().dead_letters();
  auto stats = fixture.node().stats();

  BOOST_REQUIRE(kept.size() == 3u);
  BOOST_TEST(kept.front().target == "missing-3");
  BOOST_TEST(kept.back().target == "missing-5");
  BOOST_TEST(stats.dead_letters == 5u);
  BOOST_TEST(stats.dead_letters_dropped == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
