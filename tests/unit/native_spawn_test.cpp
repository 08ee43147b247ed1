// Native spawns on the caller's thread: the pid is usable at once, messages
// sent right after the spawn arrive in order, a stop right after the spawn
// ends the agent, and the agent object is created by its hosting actor.

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "backends/native/agent_registry.hpp"
#include "kernel_test_support.hpp"

using namespace corral;
using namespace corral::testing;

namespace {

// The thread that last constructed a `thread_recording_agent`.
struct construction_record {
  std::mutex mutex;
  std::optional<std::thread::id> thread;
};

construction_record& constructions() {
  static construction_record record;
  return record;
}

class thread_recording_agent : public agent {
public:
  thread_recording_agent() {
    std::lock_guard guard{constructions().mutex};
    constructions().thread = std::this_thread::get_id();
  }

  std::optional<std::string> on_message(agent_context&,
                                        const message& msg) override {
    return msg.payload;
  }
};

std::optional<std::thread::id> constructing_thread() {
  std::lock_guard guard{constructions().mutex};
  return constructions().thread;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(native_spawn, node_fixture)

BOOST_AUTO_TEST_CASE(messages_right_after_spawn_keep_order) {
  auto log = spawn_probe("fresh");
  const std::vector<std::string> sent{"first", "second", "third", "fourth"};
  for (const auto& topic : sent)
    BOOST_REQUIRE(!node().send("fresh", topic, {}));

  BOOST_REQUIRE(log->wait_for(is_message("fourth"), patience));
  std::vector<std::string> topics;
  for (const auto& x : log->all())
    if (x.kind == "message")
      topics.push_back(x.msg.topic);
  BOOST_TEST(topics == sent, boost::test_tools::per_element());
}

// Several threads reach an agent's new child at once, so that one of
// them, or the kernel, creates its actor while the others wait for it.
BOOST_AUTO_TEST_CASE(concurrent_senders_right_after_spawn) {
  constexpr int senders = 4;
  constexpr int per_sender = 50;
  spawn_probe("parent");
  auto log = recorder_for("crowded");
  auto child = ask("parent", "spawn",
                   spawn_args(request_for("crowded", probe_type)));
  BOOST_REQUIRE(child.find("error") == std::string::npos);

  // Boost.Test's checks are not thread-safe, so the threads count their
  // failed sends and the test checks the count.
  std::atomic<int> failed_sends{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < senders; ++k)
    threads.emplace_back([this, k, &child, &failed_sends] {
      for (int n = 0; n < per_sender; ++n)
        if (node().send(child, "t" + std::to_string(k), std::to_string(n)))
          ++failed_sends;
    });
  for (auto& thread : threads)
    thread.join();
  BOOST_TEST(failed_sends.load() == 0);

  auto all_arrived = [&log] {
    return log->count("message") >= std::size_t{senders * per_sender};
  };
  BOOST_REQUIRE(wait_until(all_arrived, patience));
  std::vector<std::vector<int>> seen(senders);
  for (const auto& x : log->all())
    if (x.kind == "message")
      seen.at(std::stoi(x.msg.topic.substr(1)))
        .push_back(std::stoi(x.msg.payload));
  for (int k = 0; k < senders; ++k) {
    BOOST_TEST_CONTEXT("sender " << k) {
      BOOST_TEST(seen[k].size() == std::size_t{per_sender});
      BOOST_TEST(std::is_sorted(seen[k].begin(), seen[k].end()));
    }
  }
}

// A child of an agent gets its actor from the first thread that needs it:
// here the test thread or the kernel.
BOOST_AUTO_TEST_CASE(messages_to_agent_child_keep_order) {
  spawn_probe("parent");
  auto log = recorder_for("child");
  auto child = ask("parent", "spawn", spawn_args(request_for("child",
                                                             probe_type)));
  BOOST_REQUIRE(child.find("error") == std::string::npos);

  const std::vector<std::string> sent{"first", "second", "third"};
  for (const auto& topic : sent)
    BOOST_REQUIRE(!node().send(child, topic, {}));

  BOOST_REQUIRE(log->wait_for(is_message("third"), patience));
  std::vector<std::string> topics;
  for (const auto& x : log->all())
    if (x.kind == "message")
      topics.push_back(x.msg.topic);
  BOOST_TEST(topics == sent, boost::test_tools::per_element());
  auto stopped = node().stop(child);
  BOOST_REQUIRE(stopped);
  BOOST_TEST(stopped->kind == exit_kind::shutdown);
}

BOOST_AUTO_TEST_CASE(request_right_after_spawn_is_answered) {
  auto result = node().spawn(request_for("quick"));
  BOOST_REQUIRE(result);

  auto reply = node().request(std::to_string(result->pid), "echo", "hello",
                              patience);

  BOOST_REQUIRE(reply);
  BOOST_TEST(reply->payload == "hello");
}

BOOST_AUTO_TEST_CASE(stop_right_after_spawn_ends_agent) {
  auto result = node().spawn(request_for("brief"));
  BOOST_REQUIRE(result);

  auto stopped = node().stop(std::to_string(result->pid));

  BOOST_REQUIRE(stopped);
  BOOST_TEST(stopped->kind == exit_kind::shutdown);
  BOOST_TEST(state_of(std::to_string(result->pid)) == "exited");
  BOOST_TEST(pid_of("brief") == 0u);
}

BOOST_AUTO_TEST_CASE(agent_created_off_spawning_thread) {
  register_agent_type<thread_recording_agent>("thread_recording");
  {
    std::lock_guard guard{constructions().mutex};
    constructions().thread.reset();
  }

  auto result = node().spawn(request_for("recorded", "thread_recording"));
  BOOST_REQUIRE(result);
  // The first message runs after the agent's construction.
  BOOST_TEST(ask("recorded", "any", "x") == "x");

  auto thread = constructing_thread();
  BOOST_REQUIRE(thread.has_value());
  BOOST_TEST((*thread != std::this_thread::get_id()));
}

BOOST_AUTO_TEST_CASE(factory_returning_null_crashes_agent) {
  agent_registry::instance().add("null_factory", [] {
    return std::unique_ptr<agent>{};
  });

  auto result = node().spawn(request_for("hollow", "null_factory"));

  BOOST_REQUIRE(result);
  auto reason = wait_for_exit(node(), std::to_string(result->pid));
  BOOST_REQUIRE(reason.has_value());
  BOOST_TEST(reason->kind == exit_kind::crashed);
  BOOST_TEST(reason->detail.find("returned no agent") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(factory_throwing_crashes_agent) {
  agent_registry::instance().add(
    "throwing_factory",
    []() -> std::unique_ptr<agent> { throw std::runtime_error("no memory"); });

  auto result = node().spawn(request_for("broken", "throwing_factory"));

  BOOST_REQUIRE(result);
  auto reason = wait_for_exit(node(), std::to_string(result->pid));
  BOOST_REQUIRE(reason.has_value());
  BOOST_TEST(reason->kind == exit_kind::crashed);
  BOOST_TEST(reason->detail.find("no memory") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
