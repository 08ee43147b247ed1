// Tee agents given bad input: workloads that are no regular file, a memory
// size too small for the workload, messages too large for the enclave
// channel in either direction, and a host that stops reading its channel.
// Each fails with an error that names the value and leaves the agent or
// the node in a known state.

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <string>

#include <sys/stat.h>

#include <boost/test/unit_test.hpp>

#include "tee_test_support.hpp"

using namespace corral;
using namespace corral::testing;

namespace {

/// On a request: sends to "sink" a 16 MiB payload under a 1 MiB topic,
/// which together do not fit in one channel frame, and replies with the
/// 4-byte result code of `send`.
const char* oversized_send_wat = R"((module
  (import "corral" "send" (func $send (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "corral" "reply" (func $reply (param i32 i32) (result i32)))
  (memory (export "memory") 300)
  (data (i32.const 0) "sink")
  (func (export "corral_on_message") (param $kind i32) (param $topic_len i32) (param $payload_len i32) (result i32)
    (if (i32.ne (local.get $kind) (i32.const 1))
      (then (return (i32.const 0))))
    (i32.store (i32.const 16)
      (call $send (i32.const 0) (i32.const 4)
                  (i32.const 65536) (i32.const 1048576)
                  (i32.const 2097152) (i32.const 16777216)))
    (call $reply (i32.const 16) (i32.const 4))))
)";

std::string echo_workload() {
  return example_module("echo.wat");
}

/// Spawns `request` and expects it to fail with `code` and `fragment` in
/// the detail, within `bound`, and with no enclave host left.
void check_refused(tee_node& fixture, const spawn_request& request,
                   errc code, const std::string& fragment,
                   std::chrono::milliseconds bound
                   = std::chrono::milliseconds{2000}) {
  auto started = std::chrono::steady_clock::now();
  auto result = fixture.node().spawn(request);
  auto took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started)
                   .count();
  BOOST_TEST_REQUIRE(!result);
  BOOST_TEST(code_of(result) == code, describe(result.error()));
  BOOST_TEST(describe(result.error()).find(fragment) != std::string::npos,
             describe(result.error()));
  BOOST_TEST(took_ms < bound.count());
  BOOST_TEST(enclave_host_children() == 0);
}

/// Describes the error of a failed request; empty after a reply.
std::string error_of(const caf::expected<message>& reply) {
  return reply ? std::string() : describe(reply.error());
}

/// Returns the enclave host's process id of the live agent `agent_id`.
pid_t host_pid_of(tee_node& fixture, const std::string& agent_id) {
  auto info = fixture.node().inspect(agent_id);
  BOOST_TEST_REQUIRE(static_cast<bool>(info));
  return static_cast<pid_t>(
    std::stoi(info->backend_details["enclave_host_pid"]));
}

} // namespace

BOOST_AUTO_TEST_SUITE(tee_input)

BOOST_AUTO_TEST_CASE(fifo_workload_fails_fast) {
  tee_node fixture;
  module_folder folder;
  auto file = std::filesystem::path(folder.write("echo.wat", ""));
  auto fifo = (file.parent_path() / "fifo.wat").string();
  BOOST_TEST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  check_refused(fixture, tee_request("enclave", fifo), errc::spawn_failed,
                "is a FIFO");
}

BOOST_AUTO_TEST_CASE(device_workload_fails_fast) {
  tee_node fixture;
  check_refused(fixture, tee_request("enclave", "/dev/zero"),
                errc::spawn_failed, "/dev/zero is a device");
}

BOOST_AUTO_TEST_CASE(directory_workload_fails_fast) {
  tee_node fixture;
  module_folder folder;
  auto file = std::filesystem::path(folder.write("echo.wat", ""));
  auto directory = file.parent_path().string();
  check_refused(fixture, tee_request("enclave", directory),
                errc::spawn_failed, "is a directory");
}

BOOST_AUTO_TEST_CASE(relative_workload_names_working_folder) {
  tee_node fixture;
  check_refused(fixture, tee_request("enclave", "no/such/workload.wat"),
                errc::spawn_failed, "resolved in the node's working folder");
}

BOOST_AUTO_TEST_CASE(compile_error_reads_plainly) {
  tee_node fixture;
  module_folder folder;
  auto workload = folder.write("bad.wasm", "not a module");
  check_refused(fixture, tee_request("enclave", workload),
                errc::spawn_failed, "not a valid WebAssembly binary");
  auto result = fixture.node().spawn(tee_request("enclave", workload));
  BOOST_TEST(describe(result.error()).find("error(") == std::string::npos,
             describe(result.error()));
}

BOOST_AUTO_TEST_CASE(small_enclave_memory_names_field) {
  tee_node fixture;
  auto request = tee_request("enclave", echo_workload());
  std::get<tee_backend>(request.backend).enclave.memory_bytes = 1;
  check_refused(fixture, request, errc::resource_limit_exceeded,
                "lower cap is backend.Tee.enclave.memory_bytes, 1 bytes");
}

BOOST_AUTO_TEST_CASE(oversized_env_is_refused) {
  tee_node fixture;
  auto request = tee_request("enclave", echo_workload());
  request.env["LARGE"] = std::string(17u << 20, 'x');
  check_refused(fixture, request, errc::invalid_request,
                "env is too large for the enclave channel");
}

BOOST_AUTO_TEST_CASE(debug_enclave_shows_in_inspect) {
  auto options = simulation_options();
  options.policy.allow_debug = true;
  tee_node fixture{options};
  auto request = tee_request("enclave", echo_workload());
  std::get<tee_backend>(request.backend).enclave.debug = true;
  fixture.spawn(request);
  fixture.spawn(tee_request("plain", echo_workload()));
  auto debug = fixture.node().inspect("enclave");
  auto plain = fixture.node().inspect("plain");
  BOOST_TEST_REQUIRE(static_cast<bool>(debug));
  BOOST_TEST_REQUIRE(static_cast<bool>(plain));
  BOOST_TEST(debug->backend_details["debug"].rfind("yes", 0) == 0u);
  BOOST_TEST(plain->backend_details["debug"] == "no");
}

BOOST_AUTO_TEST_CASE(payload_at_limit_is_echoed) {
  tee_node fixture;
  fixture.spawn(tee_request("enclave", echo_workload()));
  std::string payload(16u << 20, 'x');
  auto reply = fixture.node().request("enclave", "echo", payload,
                                      std::chrono::seconds{10});
  BOOST_TEST_REQUIRE(static_cast<bool>(reply), error_of(reply));
  BOOST_TEST(reply->payload.size() == payload.size());
}

BOOST_AUTO_TEST_CASE(oversized_message_is_refused) {
  tee_node fixture;
  fixture.spawn(tee_request("enclave", echo_workload()));
  std::string payload((17u << 20), 'x');
  auto reply = fixture.node().request("enclave", "echo", payload,
                                      std::chrono::seconds{2});
  BOOST_TEST_REQUIRE(!reply);
  BOOST_TEST(code_of(reply) == errc::resource_limit_exceeded,
             describe(reply.error()));
  BOOST_TEST(describe(reply.error()).find("enclave channel")
               != std::string::npos,
             describe(reply.error()));
  // The agent goes on with the next message.
  BOOST_TEST(fixture.ask("enclave", "echo", "after") == "after");
  BOOST_TEST(fixture.state_of("enclave") == "running");
}

BOOST_AUTO_TEST_CASE(oversized_cast_is_dead_letter) {
  tee_node fixture;
  fixture.spawn(tee_request("enclave", echo_workload()));
  std::string payload((17u << 20), 'x');
  BOOST_TEST(!fixture.node().send("enclave", "echo", payload));
  // The agent handles messages in order, so once "after" has its reply the
  // oversized one before it has been dropped.
  BOOST_TEST(fixture.ask("enclave", "echo", "after") == "after");
  auto letters = fixture.node().dead_letters();
  BOOST_TEST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::too_large);
  BOOST_TEST(letters[0].message.payload.size() == payload.size());
  BOOST_TEST(fixture.state_of("enclave") == "running");
}

BOOST_AUTO_TEST_CASE(oversized_host_call_returns_too_large) {
  tee_node fixture;
  module_folder folder;
  auto sink = fixture.spawn_probe("sink");
  auto request = tee_request("sender",
                             folder.write("send.wat", oversized_send_wat));
  std::get<tee_backend>(request.backend).enclave.memory_bytes = 32u << 20;
  request.limits.memory_bytes = 32u << 20;
  fixture.spawn(request);
  auto reply = fixture.node().request("sender", "go", "",
                                      std::chrono::seconds{10});
  BOOST_TEST_REQUIRE(static_cast<bool>(reply), error_of(reply));
  BOOST_TEST_REQUIRE(reply->payload.size() == 4u);
  std::int32_t code = 0;
  std::memcpy(&code, reply->payload.data(), sizeof(code));
  BOOST_TEST(code == -6); // too large, as docs/wasm-abi.md lists it
  BOOST_TEST(fixture.state_of("sender") == "running");
}

BOOST_AUTO_TEST_CASE(stopped_host_ends_agent) {
  auto options = simulation_options();
  options.channel_write_timeout = std::chrono::milliseconds{1000};
  tee_node fixture{options};
  auto spawned = fixture.spawn(tee_request("enclave", echo_workload()));
  auto host = host_pid_of(fixture, "enclave");
  BOOST_TEST_REQUIRE(::kill(host, SIGSTOP) == 0);
  // Larger than the ring, so the write must wait for the host.
  auto sent = std::chrono::steady_clock::now();
  BOOST_TEST(!fixture.node().send("enclave", "echo",
                                  std::string(4u << 20, 'x')));
  auto reason = exit_of(fixture.node(), spawned.pid);
  auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - sent)
                     .count();
  if (!reason)
    ::kill(host, SIGCONT); // so that the fixture can stop the agent
  BOOST_TEST_REQUIRE(reason.has_value());
  // The timeout bounds the whole frame, not each partial write of it.
  BOOST_TEST(waited_ms < 1900);
  BOOST_TEST(reason->kind == exit_kind::backend_failure);
  BOOST_TEST(reason->detail.find("did not read") != std::string::npos,
             reason->detail);
  BOOST_TEST(wait_until([] { return enclave_host_children() == 0; },
                        patience));
}

BOOST_AUTO_TEST_SUITE_END()
