// Native spawns on the caller's thread: the pid is usable at once, messages
// sent right after the spawn arrive in order, a stop right after the spawn
// ends the agent, and the agent object is created by its hosting actor.

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "actors/agent_context.hpp"
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

// On "brood" with payload "PREFIX COUNT", spawns COUNT children named
// PREFIXi and exits in the same handler, before any child's actor exists.
// With payload ending in " stay" it stays alive instead.
class brood_agent : public agent {
public:
  std::optional<std::string> on_message(agent_context& ctx,
                                        const message& msg) override {
    if (msg.topic == "spawn_and_end") {
      // Requests by agent_id at once, so that this thread creates the
      // child's actor and the child may exit before the kernel adds it.
      auto request = request_for(msg.payload, probe_type);
      request.restart = restart_type::temporary;
      ctx.spawn(std::move(request), [](caf::expected<spawn_result>) {});
      // The probe runs commands only from requests.
      ctx.request(msg.payload, "exit", "normal", std::chrono::seconds{1},
                  [](message&) {}, [](const caf::error&) {});
      return "spawned";
    }
    if (msg.topic != "brood")
      return msg.payload;
    std::istringstream in(msg.payload);
    std::string prefix;
    int count = 0;
    std::string mode;
    in >> prefix >> count >> mode;
    for (int i = 0; i < count; ++i)
      ctx.spawn(request_for(prefix + std::to_string(i)),
                [](caf::expected<spawn_result>) {});
    if (mode != "stay")
      ctx.exit({exit_kind::normal, ""});
    return "spawned";
  }
};

// Returns how many live agents have an agent_id that starts with `prefix`.
std::size_t live_with_prefix(node& n, const std::string& prefix) {
  auto live = n.list();
  if (!live)
    return static_cast<std::size_t>(-1);
  std::size_t count = 0;
  for (const auto& info : *live)
    if (info.agent_id.rfind(prefix, 0) == 0)
      ++count;
  return count;
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

// The parent exits in the handler that spawned its children, so the
// kernel adds them after the parent is gone and must stop every one.
BOOST_AUTO_TEST_CASE(children_of_exited_parent_stop) {
  register_agent_type<brood_agent>("brood");
  spawn(request_for("hen", "brood"));

  BOOST_TEST(ask("hen", "brood", "chick 50") == "spawned");

  auto hen_gone = [this] { return pid_of("hen") == 0u; };
  BOOST_REQUIRE(wait_until(hen_gone, patience));
  auto chicks_gone = [this] {
    return live_with_prefix(node(), "chick") == 0u;
  };
  BOOST_TEST(wait_until(chicks_gone, patience));
}

// The child exits on its first message, which its parent sends before
// the kernel has added the child, so the kernel must still reap it.
BOOST_AUTO_TEST_CASE(child_exiting_before_registration_is_reaped) {
  constexpr int rounds = 20;
  register_agent_type<brood_agent>("brood");
  spawn(request_for("starter", "brood"));

  int reaped = 0;
  for (int round = 0; round < rounds; ++round) {
    auto id = "mayfly" + std::to_string(round);
    recorder_for(id);
    BOOST_REQUIRE(ask("starter", "spawn_and_end", id) == "spawned");
    auto gone = [this, &id] {
      auto all = node().list(true);
      if (!all)
        return false;
      bool exited = false;
      for (const auto& info : *all) {
        if (info.agent_id != id)
          continue;
        if (info.state != process_state::exited)
          return false;
        exited = true;
      }
      return exited;
    };
    if (wait_until(gone, patience)) {
      ++reaped;
      continue;
    }
    if (auto all = node().list(true))
      for (const auto& info : *all)
        if (info.agent_id == id)
          BOOST_TEST_MESSAGE(id << " pid " << info.pid << " is "
                                << to_string(info.state));
  }
  BOOST_TEST(reaped == rounds);
}

// Two agents spawn children with the same agent_id at once, round after
// round: exactly one of each pair gets it.
BOOST_AUTO_TEST_CASE(concurrent_same_agent_id_one_wins) {
  constexpr int rounds = 30;
  spawn_probe("left");
  spawn_probe("right");

  int rounds_with_one_winner = 0;
  for (int round = 0; round < rounds; ++round) {
    auto args = spawn_args(request_for("twin" + std::to_string(round)));
    std::string replies[2];
    std::thread other([this, &args, &replies] {
      replies[1] = ask("right", "spawn", args);
    });
    replies[0] = ask("left", "spawn", args);
    other.join();
    int winners = 0;
    for (const auto& reply : replies)
      if (!reply.empty()
          && std::all_of(reply.begin(), reply.end(),
                         [](char c) { return c >= '0' && c <= '9'; }))
        ++winners;
    if (winners == 1)
      ++rounds_with_one_winner;
  }
  BOOST_TEST(rounds_with_one_winner == rounds);
  BOOST_TEST(live_with_prefix(node(), "twin") == std::size_t{rounds});
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

node_config small_table_config() {
  auto config = node_fixture::test_config();
  config.max_agents = 10;
  return config;
}

struct small_table_fixture : node_fixture {
  small_table_fixture() : node_fixture(small_table_config()) {
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(native_spawn_limits, small_table_fixture)

// Two parents spawn past the table's limit at once: the table never contains
// more than its maximum.
BOOST_AUTO_TEST_CASE(concurrent_spawns_respect_table_limit) {
  register_agent_type<brood_agent>("brood");
  spawn(request_for("first", "brood"));
  spawn(request_for("second", "brood"));

  std::string replies[2];
  std::thread other([this, &replies] {
    replies[1] = ask("second", "brood", "b 20 stay");
  });
  replies[0] = ask("first", "brood", "a 20 stay");
  other.join();
  BOOST_TEST(replies[0] == "spawned");
  BOOST_TEST(replies[1] == "spawned");

  // Every spawn has been decided once each parent replies to a later request.
  BOOST_TEST(ask("first", "any", "x") == "x");
  BOOST_TEST(ask("second", "any", "x") == "x");
  auto live = node().list();
  BOOST_REQUIRE(live);
  BOOST_TEST(live->size() <= std::size_t{10});
  BOOST_TEST(live_with_prefix(node(), "a") + live_with_prefix(node(), "b")
             == std::size_t{8});
}

// The node stops while a parent's children wait for their actors.
BOOST_AUTO_TEST_CASE(shutdown_with_deferred_children_ends) {
  register_agent_type<brood_agent>("brood");
  spawn(request_for("parent", "brood"));

  BOOST_REQUIRE(!node().send("parent", "brood", "c 8 stay"));
  // The fixture's destructor stops the node, and ctest's timeout
  // catches a hang.
}

BOOST_AUTO_TEST_SUITE_END()
