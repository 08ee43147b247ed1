// Tee agents in a node: spawn with attestation, request-reply through the
// sealed channel, and messages with native and Wasm agents. Every rejected
// enclave fails with attestation_failed and leaves no host behind. Also
// tampered, replayed and skipped channel frames, a downgraded cipher, a
// host that corrupts the channel's shared ring, a crashing host, restarts
// that attest again, and hardware types on a machine without the hardware.

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "backends/tee/shared_ring.hpp"
#include "tee_test_support.hpp"

using namespace corral;
using namespace corral::testing;
using tee::test_fault;

namespace {

/// On a request: requests "partner" with topic "echo" and the payload,
/// and replies with the correlation id. On the reply: sends its payload
/// to "sink" with topic "echo".
const char* relay_wat = R"((module
  (import "corral" "message_payload" (func $payload (param i32 i32) (result i32)))
  (import "corral" "reply" (func $reply (param i32 i32) (result i32)))
  (import "corral" "send" (func $send (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "corral" "request" (func $request (param i32 i32 i32 i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 100) "partner")
  (data (i32.const 120) "sink")
  (data (i32.const 130) "echo")
  (func (export "corral_on_message") (param $kind i32) (param $topic_len i32) (param $payload_len i32) (result i32)
    (drop (call $payload (i32.const 1024) (i32.const 60000)))
    (if (i32.eq (local.get $kind) (i32.const 1))
      (then
        (i64.store (i32.const 0)
          (call $request (i32.const 100) (i32.const 7) (i32.const 130) (i32.const 4)
                         (i32.const 1024) (local.get $payload_len) (i32.const 2000)))
        (return (call $reply (i32.const 0) (i32.const 8)))))
    (if (i32.eq (local.get $kind) (i32.const 2))
      (then
        (drop (call $send (i32.const 120) (i32.const 4) (i32.const 130) (i32.const 4)
                          (i32.const 1024) (local.get $payload_len)))))
    (i32.const 0)))
)";

/// Replies with the payload after counting to 300,000, which takes
/// milliseconds in the interpreter: longer than the proxy's inline wait.
const char* slow_echo_wat = R"((module
  (import "corral" "message_payload" (func $payload (param i32 i32) (result i32)))
  (import "corral" "reply" (func $reply (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "corral_on_message") (param $kind i32) (param $topic_len i32) (param $payload_len i32) (result i32)
    (local $i i32)
    (loop $count
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $count (i32.lt_u (local.get $i) (i32.const 300000))))
    (drop (call $payload (i32.const 0) (i32.const 60000)))
    (drop (call $reply (i32.const 0) (local.get $payload_len)))
    (i32.const 0)))
)";

std::string echo_workload() {
  return example_module("echo.wat");
}

std::string host_path() {
  return tee::default_host_path();
}

/// Spawns `request`, expects attestation_failed with `fragment` in the
/// detail, and checks that no enclave host is left and no agent runs.
void check_rejected(tee_node& fixture, const spawn_request& request,
                    const std::string& fragment) {
  auto result = fixture.node().spawn(request);
  BOOST_TEST_REQUIRE(!result);
  BOOST_TEST(code_of(result) == errc::attestation_failed);
  BOOST_TEST(describe(result.error()).find(fragment) != std::string::npos,
             describe(result.error()));
  BOOST_TEST(enclave_host_children() == 0);
  BOOST_TEST(fixture.state_of(request.agent_id) != "running");
}

/// Spawns a Tee echo whose host corrupts the ring at the first message, and
/// checks that the agent ends with `fragment` in its exit detail, that no
/// host is left and that the node still spawns and serves agents.
void check_corrupt_ring(test_fault fault, const std::string& fragment) {
  tee_node fixture{simulation_options(fault)};
  auto spawned = fixture.spawn(tee_request("enclave", echo_workload()));
  BOOST_TEST(fixture.ask("enclave", "echo", "x").rfind("error: ", 0) == 0u);
  auto reason = exit_of(fixture.node(), spawned.pid);
  BOOST_TEST_REQUIRE(reason.has_value());
  BOOST_TEST(reason->kind == exit_kind::backend_failure);
  BOOST_TEST(reason->detail.find("corrupted the shared ring")
               != std::string::npos,
             reason->detail);
  BOOST_TEST(reason->detail.find(fragment) != std::string::npos,
             reason->detail);
  BOOST_TEST(wait_until([] { return enclave_host_children() == 0; },
                        patience));
  fixture.spawn(wasm_request("after", echo_workload()));
  BOOST_TEST(fixture.ask("after", "echo", "still serving")
             == "still serving");
}

bool sink_got(const std::shared_ptr<recorder>& sink,
              const std::string& payload) {
  return sink
    ->wait_for(
      [&](const observation& x) {
        return x.kind == "message" && x.msg.payload == payload;
      },
      patience)
    .has_value();
}

} // namespace

BOOST_AUTO_TEST_SUITE(tee_agents)

BOOST_AUTO_TEST_CASE(spawn_shows_simulated_measurement) {
  tee_node fixture;
  auto spawned = fixture.spawn(tee_request("enclave", echo_workload()));
  auto info = fixture.node().inspect("enclave");
  BOOST_TEST_REQUIRE(static_cast<bool>(info));
  BOOST_TEST(info->backend == "Tee");
  BOOST_TEST(info->backend_details["enclave_type"] == "simulation");
  BOOST_TEST(info->backend_details["measurement"]
             == tee::expected_measurement(host_path(), echo_workload())
                  .value_or("?"));
  BOOST_TEST(info->backend_details["simulated"].rfind("yes", 0) == 0u);
  BOOST_TEST(enclave_host_children() == 1);
  BOOST_TEST(spawned.pid != 0u);
}

BOOST_AUTO_TEST_CASE(host_runs_isolated) {
  tee_node fixture;
  fixture.spawn(tee_request("enclave", echo_workload()));
  auto info = fixture.node().inspect("enclave");
  BOOST_TEST_REQUIRE(static_cast<bool>(info));
  auto proc = "/proc/" + info->backend_details["enclave_host_pid"];
  std::ifstream status_file(proc + "/status");
  std::stringstream status;
  status << status_file.rdbuf();
  BOOST_TEST(status.str().find("Seccomp:\t2") != std::string::npos);
  BOOST_TEST(status.str().find("NoNewPrivs:\t1") != std::string::npos);
  BOOST_TEST(std::filesystem::read_symlink(proc + "/ns/net")
             != std::filesystem::read_symlink("/proc/self/ns/net"));
  std::vector<std::string> descriptors;
  for (const auto& entry : std::filesystem::directory_iterator(proc + "/fd"))
    descriptors.push_back(entry.path().filename().string());
  std::sort(descriptors.begin(), descriptors.end());
  BOOST_TEST(descriptors == (std::vector<std::string>{"0", "1", "2", "3"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(host_maps_channel_ring) {
  tee_node fixture;
  fixture.spawn(tee_request("enclave", echo_workload()));
  auto info = fixture.node().inspect("enclave");
  BOOST_TEST_REQUIRE(static_cast<bool>(info));
  std::ifstream maps_file("/proc/" + info->backend_details["enclave_host_pid"]
                          + "/maps");
  std::stringstream maps;
  maps << maps_file.rdbuf();
  // Mapped from descriptor 4, which the host closed (host_runs_isolated).
  BOOST_TEST(maps.str().find("/memfd:corral-enclave-ring") != std::string::npos,
             maps.str());
}

BOOST_AUTO_TEST_CASE(frame_beyond_ring_echoes) {
  tee_node fixture;
  fixture.spawn(tee_request("enclave", echo_workload()));
  // Four times the ring in each direction: both ends stream it in parts.
  std::string large(4 * tee::ring_capacity + 7, 'L');
  auto reply = fixture.node().request("enclave", "echo", large,
                                      std::chrono::seconds{10});
  BOOST_TEST_REQUIRE(static_cast<bool>(reply),
                     (reply ? std::string() : describe(reply.error())));
  BOOST_TEST(reply->payload.size() == large.size());
  BOOST_TEST((reply->payload == large));
  BOOST_TEST(fixture.ask("enclave", "echo", "small after") == "small after");
}

BOOST_AUTO_TEST_CASE(request_reply_through_channel) {
  tee_node fixture;
  auto measurement = tee::expected_measurement(host_path(), echo_workload());
  fixture.spawn(tee_request("enclave", echo_workload(), measurement));
  BOOST_TEST(fixture.ask("enclave", "echo", "hello") == "hello");
  std::string large(200'000, 'x');
  BOOST_TEST(fixture.ask("enclave", "echo", large).size() == large.size());
  auto info = fixture.node().inspect("enclave");
  BOOST_TEST_REQUIRE(static_cast<bool>(info));
  BOOST_TEST(info->usage.messages_in == 2u);
  BOOST_TEST(info->usage.fuel > 0u);
}

BOOST_AUTO_TEST_CASE(reply_after_inline_wait_arrives) {
  tee_node fixture;
  module_folder folder;
  fixture.spawn(tee_request("slow", folder.write("slow.wat", slow_echo_wat)));
  for (const char* payload : {"first", "second", "third"})
    BOOST_TEST(fixture.ask("slow", "echo", payload) == payload);
  BOOST_TEST(fixture.state_of("slow") == "running");
}

BOOST_AUTO_TEST_CASE(native_agent_requests_tee) {
  tee_node fixture;
  fixture.spawn(tee_request("enclave", echo_workload()));
  fixture.spawn_probe("prober");
  auto args = nlohmann::json{{"to", "enclave"}, {"topic", "echo"},
                             {"payload", "from native"}};
  BOOST_TEST(fixture.ask("prober", "request", args.dump()) == "from native");
}

BOOST_AUTO_TEST_CASE(tee_requests_wasm_and_sends_native) {
  tee_node fixture;
  module_folder folder;
  auto relay = folder.write("relay.wat", relay_wat);
  fixture.spawn(wasm_request("partner", echo_workload()));
  auto sink = fixture.spawn_probe("sink");
  fixture.spawn(tee_request("relay", relay));
  auto answer = fixture.ask("relay", "go", "through wasm");
  BOOST_TEST(answer.size() == 8u, answer);
  BOOST_TEST(sink_got(sink, "through wasm"));
}

BOOST_AUTO_TEST_CASE(wasm_requests_tee) {
  tee_node fixture;
  module_folder folder;
  fixture.spawn(tee_request("partner", echo_workload()));
  auto sink = fixture.spawn_probe("sink");
  fixture.spawn(wasm_request("relay", folder.write("relay.wat", relay_wat)));
  fixture.ask("relay", "go", "through tee");
  BOOST_TEST(sink_got(sink, "through tee"));
}

BOOST_AUTO_TEST_CASE(wrong_measurement_is_rejected) {
  tee_node fixture;
  check_rejected(fixture,
                 tee_request("enclave", echo_workload(), std::string(64, '0')),
                 "does not match expected_measurement");
}

BOOST_AUTO_TEST_CASE(changed_workload_is_rejected) {
  tee_node fixture;
  module_folder folder;
  std::ifstream original(echo_workload());
  std::stringstream text;
  text << original.rdbuf();
  auto workload = folder.write("echo.wat", text.str());
  auto measurement = tee::expected_measurement(host_path(), workload);
  BOOST_TEST_REQUIRE(measurement.has_value());
  folder.write("echo.wat", text.str() + "\n;; changed after measuring\n");
  check_rejected(fixture, tee_request("enclave", workload, measurement),
                 "does not match expected_measurement");
}

BOOST_AUTO_TEST_CASE(tampered_signature_is_rejected) {
  tee_node fixture{simulation_options(test_fault::tamper_signature)};
  check_rejected(fixture, tee_request("enclave", echo_workload()),
                 "signature is invalid");
}

BOOST_AUTO_TEST_CASE(replayed_nonce_is_rejected) {
  tee_node fixture{simulation_options(test_fault::replay_nonce)};
  check_rejected(fixture, tee_request("enclave", echo_workload()),
                 "another nonce than the one sent");
}

BOOST_AUTO_TEST_CASE(simulation_needs_policy) {
  tee_node fixture{tee::tee_options{}};
  check_rejected(fixture, tee_request("enclave", echo_workload()),
                 "simulation is not allowed by this node's policy");
}

BOOST_AUTO_TEST_CASE(unlisted_measurement_is_rejected) {
  auto options = simulation_options();
  options.policy.allowed_measurements = {std::string(64, 'a')};
  tee_node fixture{options};
  check_rejected(fixture, tee_request("enclave", echo_workload()),
                 "not in this node's list of accepted measurements");
}

BOOST_AUTO_TEST_CASE(debug_enclave_needs_policy) {
  tee_node fixture;
  auto request = tee_request("enclave", echo_workload());
  std::get<tee_backend>(request.backend).enclave.debug = true;
  check_rejected(fixture, request, "debug enclaves are not allowed");
}

BOOST_AUTO_TEST_CASE(tampered_ciphertext_ends_agent) {
  tee_node fixture{simulation_options(test_fault::tamper_ciphertext)};
  auto spawned = fixture.spawn(tee_request("enclave", echo_workload()));
  BOOST_TEST(fixture.ask("enclave", "echo", "x").rfind("error: ", 0) == 0u);
  auto reason = exit_of(fixture.node(), spawned.pid);
  BOOST_TEST_REQUIRE(reason.has_value());
  BOOST_TEST(reason->kind == exit_kind::backend_failure);
  BOOST_TEST(reason->detail.find("failed authentication") != std::string::npos,
             reason->detail);
  BOOST_TEST(wait_until([] { return enclave_host_children() == 0; },
                        patience));
}

BOOST_AUTO_TEST_CASE(replayed_ciphertext_ends_agent) {
  tee_node fixture{simulation_options(test_fault::replay_ciphertext)};
  auto spawned = fixture.spawn(tee_request("enclave", echo_workload()));
  // The first copy is genuine and replies; the replayed one ends the agent.
  BOOST_TEST(fixture.ask("enclave", "echo", "x") == "x");
  auto reason = exit_of(fixture.node(), spawned.pid);
  BOOST_TEST_REQUIRE(reason.has_value());
  BOOST_TEST(reason->kind == exit_kind::backend_failure);
  BOOST_TEST(reason->detail.find("replayed") != std::string::npos,
             reason->detail);
  BOOST_TEST(reason->detail.find("frame number 1 arrived where frame number "
                                 "2 was expected")
               != std::string::npos,
             reason->detail);
  BOOST_TEST(wait_until([] { return enclave_host_children() == 0; },
                        patience));
}

BOOST_AUTO_TEST_CASE(skipped_frame_number_ends_agent) {
  tee_node fixture{simulation_options(test_fault::skip_frame_number)};
  auto spawned = fixture.spawn(tee_request("enclave", echo_workload()));
  // The ready frame was number 0; the reply comes as 2 in place of 1.
  BOOST_TEST(fixture.ask("enclave", "echo", "x").rfind("error: ", 0) == 0u);
  auto reason = exit_of(fixture.node(), spawned.pid);
  BOOST_TEST_REQUIRE(reason.has_value());
  BOOST_TEST(reason->kind == exit_kind::backend_failure);
  BOOST_TEST(reason->detail.find("frame number 2 arrived where frame number "
                                 "1 was expected (replayed, reordered or "
                                 "dropped)")
               != std::string::npos,
             reason->detail);
  BOOST_TEST(wait_until([] { return enclave_host_children() == 0; },
                        patience));
}

BOOST_AUTO_TEST_CASE(downgraded_cipher_is_rejected) {
  tee_node fixture{simulation_options(test_fault::downgrade_cipher)};
  check_rejected(fixture, tee_request("enclave", echo_workload()),
                 "a changed or downgraded cipher");
}

BOOST_AUTO_TEST_CASE(corrupt_ring_index_ends_agent) {
  check_corrupt_ring(test_fault::corrupt_ring_index, "invalid write index");
}

BOOST_AUTO_TEST_CASE(corrupt_ring_length_ends_agent) {
  check_corrupt_ring(test_fault::corrupt_ring_length,
                     "frame length of 4294967280");
}

BOOST_AUTO_TEST_CASE(host_crash_ends_agent_crashed) {
  tee_node fixture{simulation_options(test_fault::crash_on_message)};
  auto spawned = fixture.spawn(tee_request("enclave", echo_workload()));
  BOOST_TEST(fixture.ask("enclave", "echo", "x").rfind("error: ", 0) == 0u);
  auto reason = exit_of(fixture.node(), spawned.pid);
  BOOST_TEST_REQUIRE(reason.has_value());
  BOOST_TEST(reason->kind == exit_kind::crashed);
  BOOST_TEST(reason->detail.find("SIGABRT") != std::string::npos,
             reason->detail);
  BOOST_TEST(enclave_host_children() == 0);
}

BOOST_AUTO_TEST_CASE(early_exit_quotes_host_stderr) {
  tee_node fixture{simulation_options(test_fault::exit_before_evidence)};
  check_rejected(fixture, tee_request("enclave", echo_workload()),
                 "(exit code 1; stderr: test fault: exiting before the "
                 "evidence)");
}

BOOST_AUTO_TEST_CASE(restart_attests_again) {
  tee_node fixture{simulation_options(test_fault::crash_on_message)};
  auto request = tee_request("enclave", echo_workload());
  request.restart = restart_type::permanent;
  auto first = fixture.spawn(request);
  auto before = fixture.node().inspect("enclave");
  BOOST_TEST_REQUIRE(static_cast<bool>(before));
  fixture.ask("enclave", "echo", "x");
  // The new agent is `starting` until its host is attested again.
  BOOST_TEST_REQUIRE(wait_until(
    [&] {
      auto pid = fixture.pid_of("enclave");
      return pid != 0 && pid != first.pid
             && fixture.state_of("enclave") == "running";
    },
    patience));
  auto after = fixture.node().inspect("enclave");
  BOOST_TEST_REQUIRE(static_cast<bool>(after));
  BOOST_TEST(after->restart_count == 1u);
  BOOST_TEST(after->backend_details["measurement"]
             == before->backend_details["measurement"]);
  BOOST_TEST(after->backend_details["enclave_host_pid"]
             != before->backend_details["enclave_host_pid"]);
  BOOST_TEST(fixture.ask("enclave", "ping").rfind("error: ", 0) == 0u);
  fixture.node().stop("enclave");
}

BOOST_AUTO_TEST_CASE(hardware_types_name_missing_device) {
  tee_node fixture;
  const std::pair<enclave_type, const char*> cases[] = {
    {enclave_type::sgx, "/dev/sgx_enclave"},
    {enclave_type::sev, "/dev/sev-guest"},
    {enclave_type::tdx, "/dev/tdx_guest"},
    {enclave_type::trustzone, "/dev/tee0"},
  };
  for (const auto& [type, device] : cases) {
    auto result = fixture.node().spawn(
      tee_request("enclave", echo_workload(), std::nullopt, type));
    BOOST_TEST_REQUIRE(!result);
    BOOST_TEST(code_of(result) == errc::backend_not_available);
    BOOST_TEST(describe(result.error()).find(device) != std::string::npos,
               describe(result.error()));
  }
  BOOST_TEST(enclave_host_children() == 0);
}

BOOST_AUTO_TEST_CASE(invalid_config_names_field) {
  tee_node fixture;
  auto request = tee_request("enclave", echo_workload(), std::string("xyz"));
  auto result = fixture.node().spawn(request);
  BOOST_TEST_REQUIRE(!result);
  BOOST_TEST(code_of(result) == errc::invalid_request);
  BOOST_TEST(describe(result.error()).find(
               "backend.Tee.enclave.expected_measurement")
               != std::string::npos,
             describe(result.error()));
}

BOOST_AUTO_TEST_CASE(missing_workload_fails_spawn) {
  tee_node fixture;
  auto result = fixture.node().spawn(
    tee_request("enclave", "/nonexistent/workload.wat"));
  BOOST_TEST_REQUIRE(!result);
  BOOST_TEST(code_of(result) == errc::spawn_failed);
  BOOST_TEST(describe(result.error()).find("/nonexistent/workload.wat")
               != std::string::npos,
             describe(result.error()));
  BOOST_TEST(enclave_host_children() == 0);
}

BOOST_AUTO_TEST_CASE(stop_reaps_host) {
  tee_node fixture;
  fixture.spawn(tee_request("enclave", echo_workload()));
  BOOST_TEST(enclave_host_children() == 1);
  auto reason = fixture.node().stop("enclave");
  BOOST_TEST_REQUIRE(static_cast<bool>(reason));
  BOOST_TEST(reason->kind == exit_kind::shutdown);
  BOOST_TEST(wait_until([] { return enclave_host_children() == 0; },
                        patience));
}

// The casts queued in the proxy behind a spinning handler become dead
// letters when the agent is killed; the spinning "go" does not.
BOOST_AUTO_TEST_CASE(queued_casts_are_dead_letters_on_kill) {
  tee_node fixture;
  module_folder folder;
  auto spin = folder.write("spin.wat",
                           wat_agent("(loop $l (br $l)) (i32.const 0)"));
  auto request = tee_request("enclave", spin);
  request.limits.message_timeout_ms = 60'000;
  auto receiver = fixture.spawn(request).global;
  const int sent = 10;
  BOOST_REQUIRE(!fixture.node().send("enclave", "go", {}));
  for (int i = 0; i < sent; ++i)
    BOOST_REQUIRE(
      !fixture.node().send("enclave", "cast-" + std::to_string(i), {}));
  BOOST_REQUIRE(wait_until(
    [&] {
      return fixture.node().inspect("enclave")->usage.messages_in
             == std::uint64_t{sent + 1};
    },
    patience));

  stop_options now;
  now.immediate = true;
  BOOST_REQUIRE(fixture.node().stop("enclave", now));

  auto letters = dead_letters_to(fixture.node(), to_string(receiver));
  BOOST_REQUIRE(letters.size() == std::size_t{sent});
  for (int i = 0; i < sent; ++i) {
    BOOST_TEST(letters[i].reason == dead_letter_reason::exited_target);
    BOOST_TEST(letters[i].message.topic == "cast-" + std::to_string(i));
  }
}

BOOST_AUTO_TEST_SUITE_END()
