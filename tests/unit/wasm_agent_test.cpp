// WASM agents: spawn, request-reply, state across messages, exchange with
// native agents, preemption of endless guests, and many agents of one
// module.

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "backends/wasm/wasm_instance.hpp"
#include "backends/wasm/wasm_launcher.hpp"
#include "wasm_test_support.hpp"

using namespace corral;
using namespace corral::testing;

namespace {

wasm::wasm_launcher& launcher(node& n) {
  return *static_cast<wasm::wasm_launcher*>(n.services().backends.find("Wasm"));
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(wasm_agents, node_fixture)

BOOST_AUTO_TEST_CASE(echo_answers_requests_from_wat_and_wasm) {
  spawn(wasm_request("echo-text", example_module("echo.wat")));
  BOOST_TEST(ask("echo-text", "any", "hello") == "hello");
  BOOST_TEST(ask("echo-text", "any", "") == "");
  spawn(wasm_request("echo-binary", example_module("echo.wasm")));
  BOOST_TEST(ask("echo-binary", "any", std::string(70000, 'x'))
             == std::string(70000, 'x'));
  auto info = node().inspect("echo-text");
  BOOST_REQUIRE(info);
  BOOST_TEST(info->backend == "Wasm");
  BOOST_TEST(info->usage.fuel > 0u);
  BOOST_TEST(info->usage.memory_bytes == 65536u);
  BOOST_TEST(info->usage.messages_in == 2u);
}

BOOST_AUTO_TEST_CASE(stray_error_message_is_ignored) {
  spawn(wasm_request("echo", example_module("echo.wat")));
  auto cell = node().services().agents.find("echo");
  BOOST_REQUIRE(cell);

  caf::anon_send(cell->actor(), make_error(errc::internal_error, "stray"));

  BOOST_TEST(ask("echo", "any", "still here") == "still here");
  BOOST_TEST(state_of("echo") == "running");
}

BOOST_AUTO_TEST_CASE(counter_keeps_state_across_messages) {
  spawn(wasm_request("counter", example_module("counter.wat")));
  BOOST_TEST(ask("counter", "add", "5") == "5");
  BOOST_REQUIRE(!node().send("counter", "add", "10"));
  BOOST_TEST(ask("counter", "add", "27") == "42");
  BOOST_TEST(ask("counter", "get") == "42");
  // A second instance of the same module has its own state.
  spawn(wasm_request("counter2", example_module("counter.wat")));
  BOOST_TEST(ask("counter2", "get") == "0");
  BOOST_TEST(ask("counter", "get") == "42");
}

BOOST_AUTO_TEST_CASE(unknown_topic_fails_the_request_with_the_value) {
  spawn(wasm_request("counter", example_module("counter.wat")));
  auto answer = ask("counter", "nope");
  BOOST_TEST(answer.find("error: ") == 0u);
  BOOST_TEST(answer.find("returned 1") != std::string::npos);
  BOOST_TEST(state_of("counter") == "running");
}

BOOST_AUTO_TEST_CASE(wasm_and_native_agents_exchange_messages) {
  auto log = spawn_probe("native");
  spawn(wasm_request("echo", example_module("echo.wat")));
  // The native probe asks the WASM agent and records the reply.
  BOOST_TEST(ask("native", "request",
                 command_args("echo", "ping", "from native"))
             == "from native");

  // A WASM agent sends to the native probe by agent_id.
  module_folder folder;
  auto sender = folder.write("sender.wat", wat_agent(R"(
      (drop (call $payload (i32.const 0) (i32.const 64)))
      (drop (call $send (i32.const 100) (i32.const 6) (i32.const 0)
                        (local.get $payload_len) (i32.const 0) (i32.const 0)))
      (i32.const 0))",
    R"((import "corral" "send" (func $send (param i32 i32 i32 i32 i32 i32) (result i32)))
       (data (i32.const 100) "native"))"));
  spawn(wasm_request("sender", sender));
  BOOST_REQUIRE(!node().send("sender", "go", "hello-native"));
  auto seen = log->wait_for(is_message("hello-native"), patience);
  BOOST_REQUIRE(seen);
  BOOST_TEST(seen->msg.payload.empty());
  BOOST_TEST(seen->msg.from.pid == pid_of("sender"));
}

BOOST_AUTO_TEST_CASE(guest_log_cannot_forge_lines) {
  // The node has logged by now, so its logger exists. The stream outlives
  // the sink, which stays on the logger until the process ends.
  static std::ostringstream captured;
  auto logger = spdlog::get("corral");
  BOOST_REQUIRE(logger);
  logger->sinks().push_back(
    std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));

  module_folder folder;
  auto forger = folder.write("forger.wat", wat_agent(R"(
      (call $log (i32.const 1) (i32.const 100) (i32.const 38))
      (call $reply (i32.const 100) (i32.const 2)))",
    R"((import "corral" "log" (func $log (param i32 i32 i32)))
       (data (i32.const 100) "ok\0a1999-01-01 info node=x: forged \1b[2J"))"));
  spawn(wasm_request("forger", forger));
  auto reply = node().request("forger", "go", "", std::chrono::seconds{5});
  BOOST_REQUIRE(static_cast<bool>(reply));

  auto text = captured.str();
  BOOST_TEST(text.find("ok\\x0a1999-01-01 info node=x: forged \\x1b[2J")
               != std::string::npos,
             text);
  BOOST_TEST(text.find("\n1999-01-01") == std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(endless_loop_is_preempted_and_stopped) {
  module_folder folder;
  auto spin = folder.write("spin.wat",
                           wat_agent("(loop $l (br $l)) (i32.const 0)"));
  struct limits generous;
  generous.message_timeout_ms = 60'000;
  auto request = wasm_request("spin", spin);
  request.limits = generous;
  auto pid = spawn(request).pid;
  BOOST_REQUIRE(!node().send("spin", "go", {}));
  // Other agents keep running while the guest spins on a scheduler thread.
  spawn(wasm_request("echo", example_module("echo.wat")));
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i)
    BOOST_TEST(ask("echo", "t", std::to_string(i)) == std::to_string(i));
  BOOST_TEST(ms_since(start) < 5000);
  auto fuel_before = node().inspect("spin")->usage.fuel;
  BOOST_TEST(wait_until(
    [&] { return node().inspect("spin")->usage.fuel > fuel_before; },
    patience));
  stop_options now;
  now.grace_ms = 50;
  start = std::chrono::steady_clock::now();
  auto reason = node().stop(std::to_string(pid), now);
  BOOST_REQUIRE(reason);
  BOOST_TEST(ms_since(start) < 2000);
  BOOST_TEST(state_of(std::to_string(pid)) == "exited");
}

BOOST_AUTO_TEST_CASE(thousand_agents_share_one_compiled_module) {
  auto compiled_before = launcher(node()).cache().compiled();
  for (int i = 0; i < 1000; ++i)
    spawn(wasm_request("many-" + std::to_string(i),
                       example_module("counter.wat")));
  BOOST_TEST(launcher(node()).cache().compiled() - compiled_before <= 1u);
  for (int i = 0; i < 1000; i += 1)
    BOOST_REQUIRE(!node().send("many-" + std::to_string(i), "add",
                               std::to_string(i)));
  for (int i = 0; i < 1000; i += 97)
    BOOST_TEST(ask("many-" + std::to_string(i), "get") == std::to_string(i));
  auto all = node().list();
  BOOST_REQUIRE(all);
  BOOST_TEST(all->size() >= 1000u);
}

BOOST_AUTO_TEST_CASE(exited_agents_free_their_instances) {
  auto before = wasm::wasm_instance::live_count();
  std::vector<pid_type> pids;
  for (int i = 0; i < 50; ++i)
    pids.push_back(spawn(wasm_request("short-" + std::to_string(i),
                                      example_module("echo.wat")))
                     .pid);
  BOOST_TEST(wasm::wasm_instance::live_count() == before + 50);
  stop_options now;
  now.immediate = true;
  for (auto pid : pids)
    BOOST_REQUIRE(node().stop(std::to_string(pid), now));
  BOOST_TEST(wait_until(
    [&] { return wasm::wasm_instance::live_count() == before; }, patience));
}

BOOST_AUTO_TEST_SUITE_END()
