// The remote backend's payload bodies (spawn, spawn_reply, message,
// monitor_down, stop, control, control_reply, signal, publish): round trips
// and rejection of truncated, garbage and out-of-range input.

#include <string>

#include <boost/test/unit_test.hpp>

#include "serialization/remote_bodies.hpp"

using namespace corral;

namespace corral {

// Let Boost.Test print the enums of the bodies in failed checks.

inline std::ostream& boost_test_print_type(std::ostream& out, restart_type x) {
  return out << to_string(x);
}

inline std::ostream& boost_test_print_type(std::ostream& out, errc x) {
  return out << to_string(x);
}

inline std::ostream& boost_test_print_type(std::ostream& out, message_kind x) {
  return out << to_string(x);
}

inline std::ostream& boost_test_print_type(std::ostream& out, exit_kind x) {
  return out << to_string(x);
}

inline std::ostream& boost_test_print_type(std::ostream& out, control_op x) {
  return out << to_string(x);
}

inline std::ostream& boost_test_print_type(std::ostream& out, signal_kind x) {
  return out << to_string(x);
}

} // namespace corral

namespace {

template <class Body>
Body round_trip(const Body& body) {
  auto decoded = from_binary<Body>(to_binary(body));
  BOOST_TEST_REQUIRE(static_cast<bool>(decoded), decoded.error().detail);
  return *decoded;
}

message sample_message() {
  message msg;
  msg.from = {"n1", 0};
  msg.to = {"n2", 17};
  msg.topic = "echo";
  msg.payload = std::string("bytes\0with nul", 14);
  msg.correlation_id = 9;
  msg.trace_id = 0xabcdef;
  msg.kind = message_kind::request;
  return msg;
}

remote_spawn sample_spawn() {
  remote_spawn spawn;
  spawn.request_id = 42;
  spawn.request.agent_id = "worker-1";
  spawn.request.agent_type = "echo";
  spawn.request.env = {{"MODE", "test"}};
  spawn.request.backend = wasm_backend{"/opt/agents/echo.wat"};
  spawn.request.restart = restart_type::transient;
  return spawn;
}

} // namespace

BOOST_AUTO_TEST_CASE(spawn_round_trip) {
  auto decoded = round_trip(sample_spawn());
  BOOST_TEST(decoded.request_id == 42u);
  BOOST_TEST(decoded.request.agent_id == "worker-1");
  BOOST_TEST(decoded.request.agent_type == "echo");
  BOOST_TEST(decoded.request.env.at("MODE") == "test");
  auto* wasm = std::get_if<wasm_backend>(&decoded.request.backend);
  BOOST_TEST_REQUIRE(wasm != nullptr);
  BOOST_TEST(wasm->module == "/opt/agents/echo.wat");
  BOOST_TEST(decoded.request.restart == restart_type::transient);
}

BOOST_AUTO_TEST_CASE(spawn_reply_success_round_trip) {
  remote_spawn_reply reply;
  reply.request_id = 7;
  reply.result = {17, "worker-1", {"n2", 17}};
  auto decoded = round_trip(reply);
  BOOST_TEST(decoded.request_id == 7u);
  BOOST_TEST(!decoded.error.has_value());
  BOOST_TEST(decoded.result.pid == 17u);
  BOOST_TEST(decoded.result.agent_id == "worker-1");
  BOOST_TEST(to_string(decoded.result.global) == "n2:17");
}

BOOST_AUTO_TEST_CASE(spawn_reply_error_round_trip) {
  remote_spawn_reply reply;
  reply.request_id = 8;
  reply.error = failure{errc::agent_type_unknown, "agent_type nope"};
  auto decoded = round_trip(reply);
  BOOST_TEST_REQUIRE(decoded.error.has_value());
  BOOST_TEST(decoded.error->code == errc::agent_type_unknown);
  BOOST_TEST(decoded.error->detail == "agent_type nope");
}

BOOST_AUTO_TEST_CASE(message_round_trip) {
  remote_envelope envelope{5, 2500, sample_message(), std::nullopt};
  auto decoded = round_trip(envelope);
  BOOST_TEST(decoded.request_id == 5u);
  BOOST_TEST(decoded.timeout_ms == 2500u);
  BOOST_TEST(to_string(decoded.msg.from) == "n1:0");
  BOOST_TEST(to_string(decoded.msg.to) == "n2:17");
  BOOST_TEST(decoded.msg.topic == "echo");
  BOOST_TEST(decoded.msg.payload == std::string("bytes\0with nul", 14));
  BOOST_TEST(decoded.msg.correlation_id == 9u);
  BOOST_TEST(decoded.msg.trace_id == 0xabcdefu);
  BOOST_TEST(decoded.msg.kind == message_kind::request);
  BOOST_TEST(!decoded.error.has_value());
}

BOOST_AUTO_TEST_CASE(message_failure_round_trip) {
  auto msg = sample_message();
  msg.kind = message_kind::failure;
  remote_envelope envelope{5, 0, msg,
                           failure{errc::process_not_found, "no agent n2:17"}};
  auto decoded = round_trip(envelope);
  BOOST_TEST(decoded.msg.kind == message_kind::failure);
  BOOST_TEST_REQUIRE(decoded.error.has_value());
  BOOST_TEST(decoded.error->code == errc::process_not_found);
}

BOOST_AUTO_TEST_CASE(down_and_stop_round_trip) {
  remote_down sent;
  sent.agent = {"n2", 17};
  sent.reason = {exit_kind::crashed, "trap"};
  auto down = round_trip(sent);
  BOOST_TEST(to_string(down.agent) == "n2:17");
  BOOST_TEST(down.reason.kind == exit_kind::crashed);
  BOOST_TEST(down.reason.detail == "trap");
  auto stop = round_trip(remote_stop{17, true, 1500});
  BOOST_TEST(stop.pid == 17u);
  BOOST_TEST(stop.immediate);
  BOOST_TEST(stop.grace_ms == 1500u);
}

BOOST_AUTO_TEST_CASE(control_round_trip) {
  remote_control sent;
  sent.request_id = 7;
  sent.op = control_op::link;
  sent.target = 17;
  sent.peer = 4;
  sent.immediate = true;
  sent.grace_ms = 250;
  auto control = round_trip(sent);
  BOOST_TEST(control.request_id == 7u);
  BOOST_TEST(control.op == control_op::link);
  BOOST_TEST(control.target == 17u);
  BOOST_TEST(control.peer == 4u);
  BOOST_TEST(control.immediate);
  BOOST_TEST(control.grace_ms == 250u);
}

BOOST_AUTO_TEST_CASE(control_reply_round_trip) {
  remote_control_reply sent;
  sent.request_id = 7;
  sent.exit = {exit_kind::shutdown, {}};
  sent.spawned = {21, "worker-1", {"n2", 21}};
  sent.process.pid = 21;
  sent.process.agent_id = "worker-1";
  sent.process.state = process_state::suspended;
  auto reply = round_trip(sent);
  BOOST_TEST(reply.request_id == 7u);
  BOOST_TEST(!reply.error.has_value());
  BOOST_TEST(reply.exit.kind == exit_kind::shutdown);
  BOOST_TEST(to_string(reply.spawned.global) == "n2:21");
  BOOST_TEST(reply.process.agent_id == "worker-1");
  BOOST_TEST(std::string{to_string(reply.process.state)} == "suspended");

  remote_control_reply failed;
  failed.error = failure{errc::process_not_found, "no live agent n2:9"};
  auto error = round_trip(failed);
  BOOST_TEST_REQUIRE(error.error.has_value());
  BOOST_TEST(error.error->code == errc::process_not_found);
}

BOOST_AUTO_TEST_CASE(signal_and_publish_round_trip) {
  auto signal = round_trip(remote_signal{
    signal_kind::exit, {"n2", 17}, 4, {exit_kind::node_down, "node n2"}});
  BOOST_TEST(signal.kind == signal_kind::exit);
  BOOST_TEST(to_string(signal.source) == "n2:17");
  BOOST_TEST(signal.target == 4u);
  BOOST_TEST(signal.reason.kind == exit_kind::node_down);
  auto publish = round_trip(remote_publish{sample_message()});
  BOOST_TEST(publish.msg.topic == "echo");
  BOOST_TEST(publish.msg.payload == sample_message().payload);
}

BOOST_AUTO_TEST_CASE(unknown_control_op_and_signal_kind_are_rejected) {
  // remote_control: endianness byte, request_id (8 bytes), then the op.
  auto control = to_binary(remote_control{});
  control[9] = 0;
  BOOST_TEST(!from_binary<remote_control>(control), "op 0 was accepted");
  control[9] = 10;
  BOOST_TEST(!from_binary<remote_control>(control), "op 10 was accepted");

  // remote_signal: endianness byte, then the kind.
  auto signal = to_binary(remote_signal{});
  signal[1] = 3;
  BOOST_TEST(!from_binary<remote_signal>(signal), "kind 3 was accepted");
}

BOOST_AUTO_TEST_CASE(truncated_bodies_are_rejected) {
  auto bytes = to_binary(sample_spawn());
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    auto decoded = from_binary<remote_spawn>(bytes.substr(0, size));
    BOOST_TEST(!decoded, "a prefix of " << size << " bytes was accepted");
  }
  auto envelope = to_binary(remote_envelope{1, 0, sample_message(), {}});
  for (std::size_t size = 0; size < envelope.size(); ++size)
    BOOST_TEST(!from_binary<remote_envelope>(envelope.substr(0, size)));
}

BOOST_AUTO_TEST_CASE(trailing_bytes_are_rejected) {
  auto bytes = to_binary(remote_stop{1, false, 0}) + "x";
  auto decoded = from_binary<remote_stop>(bytes);
  BOOST_TEST_REQUIRE(!decoded);
  BOOST_TEST(decoded.error().code == errc::invalid_request);
}

BOOST_AUTO_TEST_CASE(out_of_range_values_are_rejected) {
  // remote_stop: endianness byte, pid (8 bytes), immediate (1), grace (8).
  auto bytes = to_binary(remote_stop{1, false, 0});
  BOOST_TEST_REQUIRE(bytes.size() == 18u);
  bytes[9] = 2;
  BOOST_TEST(!from_binary<remote_stop>(bytes), "bool byte 2 was accepted");

  // remote_down: the exit kind is the byte after the global pid.
  auto down = to_binary(remote_down{{"n", 1}, {exit_kind::normal, {}}});
  auto kind_offset = 1 + 8 + 1 + 8;
  BOOST_TEST_REQUIRE(down.size() > static_cast<std::size_t>(kind_offset));
  down[kind_offset] = static_cast<char>(200);
  BOOST_TEST(!from_binary<remote_down>(down), "exit kind 200 was accepted");
}

BOOST_AUTO_TEST_CASE(garbage_is_rejected) {
  std::string garbage(64, '\xff');
  BOOST_TEST(!from_binary<remote_spawn>(garbage));
  BOOST_TEST(!from_binary<remote_spawn_reply>(garbage));
  BOOST_TEST(!from_binary<remote_envelope>(garbage));
  BOOST_TEST(!from_binary<remote_down>(garbage));
  BOOST_TEST(!from_binary<remote_stop>(garbage));
  BOOST_TEST(!from_binary<remote_control>(garbage));
  BOOST_TEST(!from_binary<remote_control_reply>(garbage));
  BOOST_TEST(!from_binary<remote_signal>(garbage));
  BOOST_TEST(!from_binary<remote_publish>(garbage));
  BOOST_TEST(!from_binary<remote_envelope>(std::string{}));
}
