// The dead-letter queue: bounded, oldest dropped first, counted; and the
// letters a node records for messages it cannot deliver, among them the
// casts a native agent did not handle before it exited.

#include <chrono>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <caf/all.hpp>

#include "actors/dead_letter_queue.hpp"
#include "actors/messages.hpp"
#include "actors/remote_routes.hpp"
#include "actors/router.hpp"
#include "kernel_test_support.hpp"

using namespace corral;
using namespace corral::testing;
using namespace std::chrono_literals;

namespace {

dead_letter letter(const std::string& topic) {
  dead_letter result;
  result.message.topic = topic;
  result.target = "nobody";
  return result;
}

/// Returns the letters with reason exited_target addressed to `receiver`.
std::vector<dead_letter> exited_letters(node& n, const global_pid& receiver) {
  std::vector<dead_letter> result;
  for (auto& letter : dead_letters_to(n, to_string(receiver)))
    if (letter.reason == dead_letter_reason::exited_target)
      result.push_back(std::move(letter));
  return result;
}

/// Returns the topics of the casts a probe handled, in order.
std::vector<std::string> handled_casts(const recorder& log) {
  std::vector<std::string> result;
  for (const auto& x : log.all())
    if (x.kind == "message" && x.msg.kind == message_kind::cast)
      result.push_back(x.msg.topic);
  return result;
}

/// Returns a request for a probe that is not restarted, so that its exit
/// stays visible.
spawn_request temporary_probe() {
  spawn_request base;
  base.restart = restart_type::temporary;
  return base;
}

std::string cast_topic(int i) {
  return "cast-" + std::to_string(i);
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

BOOST_FIXTURE_TEST_SUITE(exited_receiver, node_fixture)

BOOST_AUTO_TEST_CASE(casts_held_while_suspended_on_kill) {
  auto log = spawn_probe("held", temporary_probe());
  global_pid receiver{node().services().node_id(), pid_of("held")};
  BOOST_REQUIRE(!node().suspend("held"));
  const int sent = 20;
  for (int i = 0; i < sent; ++i)
    BOOST_REQUIRE(!node().send("held", cast_topic(i), "payload"));

  stop_options now;
  now.immediate = true;
  BOOST_REQUIRE(node().stop("held", now));

  // The hosting actor posts the letters before the kernel learns of the
  // exit, so they are there when stop returns.
  auto letters = exited_letters(node(), receiver);
  BOOST_REQUIRE(letters.size() == std::size_t{sent});
  for (int i = 0; i < sent; ++i) {
    BOOST_TEST(letters[i].message.topic == cast_topic(i));
    BOOST_TEST(letters[i].message.payload == "payload");
    BOOST_TEST(letters[i].message.from.pid == kernel_pid);
  }
  BOOST_TEST(handled_casts(*log).empty());
}

BOOST_AUTO_TEST_CASE(casts_behind_crashing_handler) {
  auto log = spawn_probe("crasher", temporary_probe());
  global_pid receiver{node().services().node_id(), pid_of("crasher")};
  auto crashed = std::async(std::launch::async, [this] {
    return node().request("crasher", "crash_after", "500", patience);
  });
  BOOST_REQUIRE(log->wait_for(is_message("crash_after"), patience));
  const int sent = 50;
  for (int i = 0; i < sent; ++i)
    BOOST_REQUIRE(!node().send("crasher", cast_topic(i), {}));

  BOOST_TEST(code_of(crashed.get()) == errc::agent_exited);
  auto reason = wait_for_exit(node(), "crasher");
  BOOST_REQUIRE(reason);
  BOOST_TEST(reason->kind == exit_kind::crashed);

  auto letters = exited_letters(node(), receiver);
  auto handled = handled_casts(*log);
  BOOST_TEST(handled.size() + letters.size() == std::size_t{sent});
  BOOST_TEST(handled.empty());
  BOOST_REQUIRE(letters.size() == std::size_t{sent});
  for (int i = 0; i < sent; ++i)
    BOOST_TEST(letters[i].message.topic == cast_topic(i));
}

// Casts keep coming while the kill waits behind a slow handler: those
// before the kill are handled, those after it are dead letters, whether
// they wait in the mailbox or find it closed. Sends stop when the agent's
// name no longer resolves.
BOOST_AUTO_TEST_CASE(casts_racing_a_kill_add_up) {
  auto log = spawn_probe("racer", temporary_probe());
  global_pid receiver{node().services().node_id(), pid_of("racer")};
  auto slept = std::async(std::launch::async, [this] {
    return node().request("racer", "sleep", "300", patience);
  });
  BOOST_REQUIRE(log->wait_for(is_message("sleep"), patience));
  auto stopped = std::async(std::launch::async, [this] {
    stop_options now;
    now.immediate = true;
    return node().stop("racer", now);
  });

  std::size_t accepted = 0;
  for (int i = 0; i < 5000; ++i) {
    if (node().send("racer", cast_topic(i), {}))
      break;
    ++accepted;
    std::this_thread::sleep_for(1ms);
  }
  BOOST_REQUIRE(stopped.get());
  slept.get();

  auto letters = exited_letters(node(), receiver);
  auto handled = handled_casts(*log);
  BOOST_TEST(handled.size() + letters.size() == accepted);
  BOOST_TEST(letters.size() > 0u);
  std::set<std::string> seen(handled.begin(), handled.end());
  for (const auto& letter : letters)
    seen.insert(letter.message.topic);
  BOOST_TEST(seen.size() == accepted);
}

// A sender that resolved the agent before it exited still has a
// reference to its actor. A cast sent through that stale route finds the
// mailbox closed.
BOOST_AUTO_TEST_CASE(cast_through_stale_route) {
  spawn("stale");
  auto route = resolve(node().services(), "stale");
  BOOST_REQUIRE(route.cell);
  BOOST_REQUIRE(node().stop("stale"));

  message late;
  late.from = {node().services().node_id(), kernel_pid};
  late.to = route.cell->global;
  late.topic = "late";
  caf::anon_send(route.cell->actor(), late);

  auto letters = exited_letters(node(), route.cell->global);
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].message.topic == "late");
}

BOOST_AUTO_TEST_CASE(request_through_stale_route_fails) {
  spawn("stale");
  auto route = resolve(node().services(), "stale");
  BOOST_REQUIRE(route.cell);
  BOOST_REQUIRE(node().stop("stale"));

  message late;
  late.from = {node().services().node_id(), kernel_pid};
  late.to = route.cell->global;
  late.topic = "late";
  late.kind = message_kind::request;
  late.correlation_id = 1;
  caf::scoped_actor self{node().system()};
  caf::error failure;
  bool replied = false;
  auto started = std::chrono::steady_clock::now();
  self->request(route.cell->actor(), patience,
                make_request_message(*route.cell, late, patience))
    .receive([&](message&) { replied = true; },
             [&](caf::error& error) { failure = std::move(error); });

  BOOST_TEST(!replied);
  BOOST_TEST(code_of(failure) == errc::agent_exited);
  BOOST_TEST(ms_since(started) < 2000);
  // Only casts become letters here; the requester has its error.
  BOOST_TEST(exited_letters(node(), route.cell->global).empty());
}

// A request from outside the node's agents that waits in the mailbox when
// the agent is killed gets its error, and the node records the letter, as
// it does for a request an agent made.
BOOST_AUTO_TEST_CASE(outside_request_queued_on_kill) {
  auto log = spawn_probe("busy", temporary_probe());
  auto slept = std::async(std::launch::async, [this] {
    return node().request("busy", "sleep", "300", patience);
  });
  BOOST_REQUIRE(log->wait_for(is_message("sleep"), patience));
  auto stopped = std::async(std::launch::async, [this] {
    stop_options now;
    now.immediate = true;
    return node().stop("busy", now);
  });
  // Gives the kill time to reach the mailbox, where it waits behind the
  // probe's 300 ms handler. The request then queues behind the kill.
  std::this_thread::sleep_for(50ms);
  auto queued = node().request("busy", "queued", "payload", patience);
  BOOST_REQUIRE(stopped.get());
  slept.get();

  // A request that lost the race with the kill finds no agent instead,
  // and the node records the same letter.
  BOOST_REQUIRE(!queued);
  auto code = code_of(queued);
  BOOST_TEST((code == errc::agent_exited || code == errc::process_not_found));
  std::vector<dead_letter> letters;
  for (auto& letter : dead_letters_to(node(), "busy"))
    if (letter.message.topic == "queued")
      letters.push_back(std::move(letter));
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::exited_target);
  BOOST_TEST(letters[0].message.payload == "payload");
  BOOST_TEST(letters[0].message.kind == message_kind::request);
}

BOOST_AUTO_TEST_SUITE_END()
