// WASM agents under their limits: fuel per message and in total, linear
// memory, wall time per message, call depth, traps and exit codes. Also
// the restart of a trapped agent by its supervisor, the 80% resource
// warning, and the errors requesters get when the agent stops or its
// mailbox is full.

#include <chrono>
#include <cstdint>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "wasm_test_support.hpp"

using namespace corral;
using namespace corral::testing;

namespace {

/// A handler that never returns.
const std::string spin_body = "(loop $l (br $l)) (i32.const 0)";

/// A handler that records one-way messages as "<topic> <payload>", replies
/// to a request with topic "get" with the last record, and runs a loop of
/// 10,000 rounds (about 70,000 instructions) before an empty reply to any
/// other request.
const std::string burn_body = R"(
  (local $i i32)
  (if (i32.eqz (local.get $kind)) (then
    (drop (call $topic (i32.const 1024) (i32.const 512)))
    (i32.store8 (i32.add (i32.const 1024) (local.get $topic_len)) (i32.const 32))
    (drop (call $payload (i32.add (i32.const 1025) (local.get $topic_len))
                         (i32.const 1024)))
    (global.set $record_len
      (i32.add (i32.add (local.get $topic_len) (i32.const 1))
               (local.get $payload_len)))
    (return (i32.const 0))))
  (if (i32.eq (local.get $topic_len) (i32.const 3)) (then
    (return (call $reply (i32.const 1024) (global.get $record_len)))))
  (local.set $i (i32.const 10000))
  (loop $l
    (local.set $i (i32.sub (local.get $i) (i32.const 1)))
    (br_if $l (local.get $i)))
  (call $reply (i32.const 0) (i32.const 0)))";
const std::string burn_fields = "(global $record_len (mut i32) (i32.const 0))";

/// A counter that replies to every request with its value as one ASCII
/// digit, starting at "1", and traps on a request with a 4-byte topic.
const std::string counter_body = R"(
  (if (i32.eq (local.get $topic_len) (i32.const 4)) (then unreachable))
  (global.set $count (i32.add (global.get $count) (i32.const 1)))
  (i32.store8 (i32.const 0) (global.get $count))
  (call $reply (i32.const 0) (i32.const 1)))";
const std::string counter_fields = "(global $count (mut i32) (i32.const 48))";

/// A handler that grows memory by one page for a request with topic
/// "grow" and replies to every request with the size in pages as one ASCII
/// digit. It ignores one-way messages, such as the resource warning.
const std::string grow_body = R"(
  (if (i32.eqz (local.get $kind)) (then (return (i32.const 0))))
  (if (i32.eq (local.get $topic_len) (i32.const 4)) (then
    (drop (memory.grow (i32.const 1)))))
  (i32.store8 (i32.const 0) (i32.add (i32.const 48) (memory.size)))
  (call $reply (i32.const 0) (i32.const 1)))";

/// A fixture with a folder for the test's modules.
struct limits_fixture : node_fixture {
  module_folder folder;

  /// Writes a module with `body` and `fields` and returns a request to
  /// spawn it as `agent_id`.
  spawn_request agent(const std::string& agent_id, const std::string& body,
                      const std::string& fields = {}) {
    return wasm_request(agent_id,
                        folder.write(agent_id + ".wat", wat_agent(body, fields)));
  }

  /// Sends a request and returns its result, waiting at most 5 s.
  caf::expected<message> request(const std::string& target,
                                 const std::string& topic) {
    return node().request(target, topic, {}, std::chrono::seconds{5});
  }

  /// Waits for `target` to exit and checks its exit reason.
  void check_exit(const std::string& target, const exit_reason& expected) {
    auto reason = wait_for_exit(node(), target);
    BOOST_REQUIRE(reason);
    BOOST_TEST(reason->kind == expected.kind);
    BOOST_TEST(reason->detail == expected.detail);
  }
};

/// True when `result` failed with a message that contains `fragment`.
bool failed_with(const caf::expected<message>& result,
                 const std::string& fragment) {
  return !result && describe(result.error()).find(fragment) != std::string::npos;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(wasm_limits, limits_fixture)

BOOST_AUTO_TEST_CASE(fuel_per_message) {
  auto spin = agent("spin", spin_body);
  spin.limits.fuel_per_message = 50'000;
  spawn(spin);

  auto result = request("spin", "go");

  BOOST_TEST(failed_with(result, "it exited: limit_exceeded{fuel}"));
  BOOST_TEST(failed_with(result, "agent_exited"));
  check_exit("spin", {exit_kind::limit_exceeded, "fuel"});
  BOOST_TEST(node().inspect("spin")->usage.fuel == 50'000u);
}

BOOST_AUTO_TEST_CASE(total_fuel_after_several_messages) {
  auto burn = agent("burn", burn_body, burn_fields);
  burn.limits.fuel = 300'000;
  spawn(burn);

  BOOST_REQUIRE(request("burn", "burn"));
  auto per_message = node().inspect("burn")->usage.fuel;
  BOOST_TEST_MESSAGE("fuel per message: " << per_message);
  // Four messages fit in the limit and a fifth does not.
  BOOST_REQUIRE(4 * per_message < 300'000u);
  BOOST_REQUIRE(5 * per_message > 300'000u);
  for (int i = 2; i <= 4; ++i)
    BOOST_TEST(bool(request("burn", "burn")), "message " << i);

  BOOST_TEST(failed_with(request("burn", "burn"),
                         "it exited: limit_exceeded{fuel}"));
  check_exit("burn", {exit_kind::limit_exceeded, "fuel"});
  BOOST_TEST(node().inspect("burn")->usage.fuel == 300'000u);
}

BOOST_AUTO_TEST_CASE(memory_up_to_limit) {
  auto grow = agent("grow", grow_body);
  grow.limits.memory_bytes = 3 * 65536;
  spawn(grow);

  BOOST_TEST(ask("grow", "grow") == "2");
  BOOST_TEST(ask("grow", "grow") == "3");
  // The agent queues its warning at the limit before it takes the next
  // request, so "get" runs after the guest has handled the warning.
  BOOST_TEST(ask("grow", "get") == "3");
  BOOST_TEST(state_of("grow") == "running");
  BOOST_TEST(node().inspect("grow")->usage.memory_bytes == 3u * 65536);
}

BOOST_AUTO_TEST_CASE(memory_past_limit) {
  auto grow = agent("grow", grow_body);
  grow.limits.memory_bytes = 2 * 65536;
  spawn(grow);
  BOOST_TEST(ask("grow", "grow") == "2");

  BOOST_TEST(failed_with(request("grow", "grow"),
                         "it exited: limit_exceeded{memory}"));
  check_exit("grow", {exit_kind::limit_exceeded, "memory"});
}

BOOST_AUTO_TEST_CASE(memory_past_limit_in_long_handler) {
  // The growth is found between fuel steps, before the handler returns.
  auto grow = agent("grow", "(drop (memory.grow (i32.const 1))) " + spin_body);
  grow.limits.memory_bytes = 65536;
  spawn(grow);

  BOOST_TEST(failed_with(request("grow", "go"),
                         "it exited: limit_exceeded{memory}"));
  check_exit("grow", {exit_kind::limit_exceeded, "memory"});
}

BOOST_AUTO_TEST_CASE(wall_time_per_message) {
  auto spin = agent("spin", spin_body);
  spin.limits.message_timeout_ms = 100;
  spin.limits.fuel_per_message = 1'000'000'000'000;
  spawn(spin);
  auto started = std::chrono::steady_clock::now();

  auto result = request("spin", "go");

  BOOST_TEST(failed_with(result, "it exited: limit_exceeded{time}"));
  BOOST_TEST(ms_since(started) >= 100);
  BOOST_TEST(ms_since(started) < 3000);
  check_exit("spin", {exit_kind::limit_exceeded, "time"});
}

BOOST_AUTO_TEST_CASE(call_depth) {
  // A request with topic "deep" recurses without end, any other 50 deep.
  auto deep = agent("deep", R"(
      (if (i32.eq (local.get $topic_len) (i32.const 4)) (then
        (call $down (i32.const -1))))
      (call $down (i32.const 50))
      (call $reply (i32.const 0) (i32.const 0)))",
    R"((func $down (param $n i32)
         (if (local.get $n) (then
           (call $down (i32.sub (local.get $n) (i32.const 1)))))))");
  deep.limits.call_depth = 100;
  spawn(deep);
  BOOST_TEST(ask("deep", "ok") == "");

  BOOST_TEST(failed_with(request("deep", "deep"), "call stack exhausted"));
  check_exit("deep", {exit_kind::crashed, "trap: call stack exhausted"});
}

BOOST_AUTO_TEST_CASE(value_stack) {
  // Each call of $wide has 200 locals; 40 nested calls need about
  // 8,000 values, more than the 4,096 allowed, while 10 fit.
  auto wide = agent("wide", R"(
      (if (i32.eq (local.get $topic_len) (i32.const 4)) (then
        (call $wide (i32.const 40))))
      (call $wide (i32.const 10))
      (call $reply (i32.const 0) (i32.const 0)))",
    R"((func $wide (param $n i32) (local i64 i64 i64 i64 i64 i64 i64 i64
         i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
         i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
         i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
         i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
         i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
         i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
         i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
         i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
         i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
         i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
         i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
         i64 i64 i64 i64 i64 i64 i64 i64)
         (if (local.get $n) (then
           (call $wide (i32.sub (local.get $n) (i32.const 1)))))))");
  wide.limits.value_stack = 4096;
  spawn(wide);
  BOOST_TEST(ask("wide", "ok") == "");

  BOOST_TEST(failed_with(request("wide", "wide"), "value stack exhausted"));
  check_exit("wide",
             {exit_kind::crashed, "trap: value stack exhausted (more than "
                                  "4096 values)"});
}

BOOST_AUTO_TEST_CASE(traps_crash_the_agent) {
  struct trap_case {
    const char* body;
    const char* detail;
  };
  const trap_case cases[] = {
    {"unreachable", "trap: unreachable executed"},
    {"(i32.div_u (i32.const 1) (local.get $payload_len))",
     "trap: integer divide by zero"},
  };
  int n = 0;
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.body) {
      auto id = "trap" + std::to_string(n++);
      spawn(agent(id, c.body));
      BOOST_TEST(failed_with(request(id, "go"), c.detail));
      check_exit(id, {exit_kind::crashed, c.detail});
    }
  }
}

BOOST_AUTO_TEST_CASE(exit_codes) {
  const std::string imports = R"(
    (import "corral" "exit" (func $exit (param i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32))))";
  struct exit_case {
    const char* call;
    exit_reason expected;
  };
  const exit_case cases[] = {
    {"(call $exit (i32.const 0))", {exit_kind::normal, ""}},
    {"(call $exit (i32.const 3))", {exit_kind::crashed, "exit code 3"}},
    {"(call $proc_exit (i32.const 0))", {exit_kind::normal, ""}},
    {"(call $proc_exit (i32.const 3))", {exit_kind::crashed, "exit code 3"}},
  };
  int n = 0;
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.call) {
      auto id = "exit" + std::to_string(n++);
      spawn(agent(id, std::string{c.call} + " (i32.const 0)", imports));
      BOOST_TEST(!node().send(id, "go", {}));
      check_exit(id, c.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(restart_after_trap) {
  auto counter = agent("counter", counter_body, counter_fields);
  counter.restart = restart_type::permanent;
  auto old_pid = spawn(counter).pid;
  BOOST_TEST(ask("counter", "inc") == "1");
  BOOST_TEST(ask("counter", "inc") == "2");

  BOOST_TEST(failed_with(request("counter", "trap"), "unreachable"));

  auto new_pid = wait_for_new_pid(*this, "counter", old_pid);
  BOOST_REQUIRE(new_pid != 0u);
  BOOST_TEST(node().inspect("counter")->restart_count == 1u);
  BOOST_TEST(ask("counter", "inc") == "1");
  auto old = node().inspect(std::to_string(old_pid));
  BOOST_REQUIRE(old);
  BOOST_TEST(old->exit->detail == "trap: unreachable executed");
}

BOOST_AUTO_TEST_CASE(fuel_warning_reaches_guest) {
  // The supervisor probe gets the warning as well.
  auto supervisor = spawn_probe("supervisor");
  auto burn = agent("burn", burn_body, burn_fields);
  burn.limits.fuel = 300'000;
  burn.parent_pid = pid_of("supervisor");
  spawn(burn);

  for (int i = 1; i <= 4; ++i)
    BOOST_REQUIRE_MESSAGE(request("burn", "burn"), "message " << i);

  auto record = ask("burn", "get");
  const std::string topic = "$resource_warning ";
  BOOST_REQUIRE(record.compare(0, topic.size(), topic) == 0);
  auto warning = nlohmann::json::parse(record.substr(topic.size()));
  BOOST_TEST(warning.at("resource") == "fuel");
  BOOST_TEST(warning.at("limit") == 300'000);
  BOOST_TEST(warning.at("used").get<std::uint64_t>() >= 240'000u);
  BOOST_TEST(warning.at("used").get<std::uint64_t>() < 300'000u);
  BOOST_TEST(warning.at("agent_id") == "burn");

  auto seen = supervisor->wait_for(
    [](const observation& x) { return x.kind == "warning"; }, patience);
  BOOST_REQUIRE(seen);
  BOOST_TEST(seen->msg.topic == "burn");
  BOOST_TEST(seen->reason.detail == "fuel");
}

BOOST_AUTO_TEST_CASE(queued_requests_fail_on_stop) {
  struct stop_case {
    stop_options options;
    const char* reason;
  };
  const stop_case cases[] = {
    {{false, 1000}, "because it exited: shutdown"},
    {{true, 0}, "because it was killed"},
  };
  int n = 0;
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("immediate " << c.options.immediate) {
      auto id = "spin" + std::to_string(n++);
      auto spin = agent(id, spin_body);
      spin.limits.message_timeout_ms = 60'000;
      spawn(spin);
      BOOST_REQUIRE(!node().send(id, "go", {}));

      std::vector<std::future<caf::expected<message>>> answers;
      for (int i = 0; i < 3; ++i)
        answers.push_back(std::async(std::launch::async, [this, id] {
          return node().request(id, "queued", {}, std::chrono::seconds{10});
        }));
      BOOST_REQUIRE(wait_until(
        [&] { return node().inspect(id)->usage.messages_in == 4u; },
        patience));

      auto started = std::chrono::steady_clock::now();
      BOOST_REQUIRE(node().stop(id, c.options));
      for (auto& answer : answers) {
        auto result = answer.get();
        BOOST_TEST(failed_with(result, "did not answer the request"));
        BOOST_TEST(failed_with(result, c.reason));
        BOOST_TEST(failed_with(result, "agent_exited"));
      }
      BOOST_TEST(ms_since(started) < 5000);
    }
  }
}

// Casts queued behind a spinning handler become dead letters when the
// agent stops, is killed or runs out of fuel. The spinning "go" is not one,
// because its handler started, and neither is the fuel warning the agent
// queues for its guest at 80%.
BOOST_AUTO_TEST_CASE(queued_casts_are_dead_letters_on_exit) {
  struct exit_case {
    const char* name;
    stop_options stop;
    std::optional<std::uint64_t> fuel;
  };
  const exit_case cases[] = {
    {"shutdown", {false, 1000}, std::nullopt},
    {"kill", {true, 0}, std::nullopt},
    {"fuel", {}, 3'000'000},
  };
  const int sent = 10;
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("exit by " << c.name) {
      auto id = std::string{"queued-"} + c.name;
      auto spin = agent(id, spin_body);
      spin.limits.message_timeout_ms = 60'000;
      spin.limits.fuel = c.fuel;
      auto receiver = spawn(spin).global;
      BOOST_REQUIRE(!node().send(id, "go", {}));
      for (int i = 0; i < sent; ++i)
        BOOST_REQUIRE(!node().send(id, "cast-" + std::to_string(i), {}));

      if (c.fuel) {
        BOOST_REQUIRE(wait_for_exit(node(), id));
      } else {
        BOOST_REQUIRE(wait_until(
          [&] {
            return node().inspect(id)->usage.messages_in
                   == std::uint64_t{sent + 1};
          },
          patience));
        BOOST_REQUIRE(node().stop(id, c.stop));
      }

      auto letters = dead_letters_to(node(), to_string(receiver));
      BOOST_REQUIRE(letters.size() == std::size_t{sent});
      for (int i = 0; i < sent; ++i) {
        BOOST_TEST(letters[i].reason == dead_letter_reason::exited_target);
        BOOST_TEST(letters[i].message.topic == "cast-" + std::to_string(i));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(mailbox_full) {
  auto spin = agent("spin", spin_body);
  spin.limits.mailbox_size = 2;
  spin.limits.message_timeout_ms = 60'000;
  auto pid = spawn(spin).pid;
  BOOST_REQUIRE(!node().send("spin", "go", {}));
  BOOST_REQUIRE(!node().send("spin", "a", {}));
  BOOST_REQUIRE(!node().send("spin", "b", {}));
  BOOST_REQUIRE(wait_until(
    [&] { return node().inspect("spin")->usage.messages_in == 3u; },
    patience));

  auto started = std::chrono::steady_clock::now();
  auto result = request("spin", "c");

  BOOST_TEST(code_of(result) == errc::mailbox_full);
  BOOST_TEST(failed_with(result, "limits.mailbox_size"));
  BOOST_TEST(ms_since(started) < 2000);

  // A one-way message gets no error, but it is kept as a dead letter too.
  BOOST_REQUIRE(!node().send("spin", "d", {}));
  BOOST_REQUIRE(wait_until(
    [&] { return dead_letters_to(node(), std::to_string(pid)).size() == 2u; },
    patience));
  auto letters = dead_letters_to(node(), std::to_string(pid));
  BOOST_TEST(letters[0].reason == dead_letter_reason::mailbox_full);
  BOOST_TEST(letters[0].message.topic == "c");
  BOOST_TEST(letters[1].reason == dead_letter_reason::mailbox_full);
  BOOST_TEST(letters[1].message.topic == "d");
}

BOOST_AUTO_TEST_CASE(fd_write_is_bounded_per_call) {
  // One fd_write of 200,000 bytes writes 65,536 and returns that count, because a
  // host call cannot be preempted; the reply is the count, little-endian.
  module_folder folder;
  auto path = folder.write("write.wat", wat_agent(R"(
      (i32.store (i32.const 0) (i32.const 16))
      (i32.store (i32.const 4) (i32.const 200000))
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
                            (i32.const 8)))
      (drop (call $reply (i32.const 8) (i32.const 4)))
      (i32.const 0))",
    R"((import "wasi_snapshot_preview1" "fd_write"
         (func $fd_write (param i32 i32 i32 i32) (result i32))))",
    4));
  spawn(wasm_request("writer", path));
  auto count = ask("writer", "go");
  BOOST_REQUIRE(count.size() == 4u);
  std::uint32_t written = 0;
  for (int k = 0; k < 4; ++k)
    written |= std::uint32_t{static_cast<unsigned char>(count[k])} << (8 * k);
  BOOST_TEST(written == 65536u);
}

BOOST_AUTO_TEST_SUITE_END()
