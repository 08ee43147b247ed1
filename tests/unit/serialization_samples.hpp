#pragma once

// Sample values of every serialization type, with every field set away from
// its default so that a round trip that drops a field fails, and
// field-by-field checks that report which field differs.

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "serialization/capabilities.hpp"
#include "serialization/exit_reason.hpp"
#include "serialization/limits.hpp"
#include "serialization/message.hpp"
#include "serialization/pid.hpp"
#include "serialization/process_info.hpp"
#include "serialization/spawn_backend.hpp"
#include "serialization/spawn_request.hpp"
#include "serialization/supervision.hpp"

namespace corral {

// Lets BOOST_TEST print the operands of a failed comparison.

// Non-template overloads, because Boost.Test's own fallback is a template
// that a template here would make ambiguous.
#define CORRAL_PRINT_BY_NAME(type)                                           \
  inline std::ostream& boost_test_print_type(std::ostream& out, type x) {    \
    return out << to_string(x);                                              \
  }

CORRAL_PRINT_BY_NAME(errc)
CORRAL_PRINT_BY_NAME(enclave_type)
CORRAL_PRINT_BY_NAME(send_scope_kind)
CORRAL_PRINT_BY_NAME(restart_type)
CORRAL_PRINT_BY_NAME(restart_strategy)
CORRAL_PRINT_BY_NAME(exit_kind)
CORRAL_PRINT_BY_NAME(message_kind)
CORRAL_PRINT_BY_NAME(process_state)
CORRAL_PRINT_BY_NAME(dead_letter_reason)

#undef CORRAL_PRINT_BY_NAME

inline std::ostream& boost_test_print_type(std::ostream& out,
                                           const global_pid& x) {
  return out << to_string(x);
}

} // namespace corral

namespace corral::samples {

inline enclave_config enclave() {
  enclave_config x;
  x.type = enclave_type::sgx;
  x.workload = "enclaves/signer.wasm";
  x.expected_measurement
    = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  x.memory_bytes = 128ull * 1024 * 1024;
  x.debug = true;
  return x;
}

inline std::vector<local_backend> local_backends() {
  return {
    native_backend{},
    wasm_backend{"agents/echo.wasm"},
    container_backend{"docker.io/library/alpine:3.19"},
    tee_backend{enclave()},
  };
}

/// Returns every variant, Remote with every inner backend, and Remote with
/// a failover setting.
inline std::vector<spawn_backend> backends() {
  std::vector<spawn_backend> all = {
    native_backend{},
    wasm_backend{"agents/echo.wasm"},
    container_backend{"docker.io/library/alpine:3.19"},
    tee_backend{enclave()},
  };
  for (const auto& inner : local_backends())
    all.push_back(remote_backend{"node-2", inner, {}});
  all.push_back(remote_backend{"node-2", native_backend{},
                               {failover_mode::any, {"node-3", "node-1"}}});
  return all;
}

/// Returns one send scope of each kind, plus topics on a non-listed kind.
inline std::vector<send_scope> send_scopes() {
  return {
    send_scope{send_scope_kind::all, {}, {}},
    send_scope{send_scope_kind::parent_only, {}, {}},
    send_scope{send_scope_kind::children, {}, {}},
    send_scope{send_scope_kind::none, {}, {}},
    send_scope{send_scope_kind::listed, {"7", "worker-1"}, {}},
    send_scope{send_scope_kind::listed, {}, {}},
    send_scope{send_scope_kind::listed, {"worker-2"}, {"jobs", "events"}},
    send_scope{send_scope_kind::all, {}, {"jobs"}},
    send_scope{send_scope_kind::children, {}, {"jobs"}},
  };
}

inline capabilities caps() {
  capabilities x;
  x.can_spawn = false;
  x.can_send = send_scope{send_scope_kind::listed, {"7", "worker-1"}, {"jobs"}};
  x.can_publish = {"jobs", "events"};
  x.can_network = true;
  x.host_functions = {"send", "log"};
  return x;
}

inline struct limits all_limits() {
  struct limits x;
  x.memory_bytes = 64ull * 1024 * 1024;
  x.cpu_ms = 1500;
  x.fuel = 10'000'000;
  x.max_messages = 1000;
  x.message_timeout_ms = 250;
  x.mailbox_size = 16;
  x.fuel_per_message = 50'000;
  x.call_depth = 64;
  x.value_stack = 4096;
  return x;
}

inline supervisor_spec supervision() {
  supervisor_spec x;
  x.strategy = restart_strategy::rest_for_one;
  x.max_restarts = 3;
  x.period_ms = 10'000;
  x.backoff_initial_ms = 250;
  x.backoff_max_ms = 8'000;
  return x;
}

inline spawn_request request() {
  spawn_request x;
  x.agent_id = "worker-1";
  x.agent_type = "echo";
  x.caps = caps();
  x.parent_pid = 3;
  x.env = {{"MODE", "fast"}, {"PATH", "/usr/bin"}};
  x.backend = tee_backend{enclave()};
  x.restart = restart_type::transient;
  x.supervision = supervision();
  x.limits = all_limits();
  return x;
}

inline global_pid pid() {
  // A node id with a ':' checks that the pid is split off at the last one.
  return global_pid{"node-1:7000", 42};
}

inline spawn_result spawned() {
  return spawn_result{42, "worker-1", pid()};
}

inline message text_message() {
  message x;
  x.from = global_pid{"node-1", 5};
  x.to = global_pid{"node-2", 9};
  x.topic = "jobs";
  x.payload = "hello, w\xc3\xb6rld";
  x.correlation_id = 17;
  x.trace_id = 99;
  x.kind = message_kind::request;
  return x;
}

inline message binary_message() {
  message x = text_message();
  x.payload = std::string("\x00\xff\xfe\x80 bytes", 10);
  x.kind = message_kind::reply;
  return x;
}

inline exit_reason crash() {
  return exit_reason{exit_kind::crashed, "wasm trap: unreachable"};
}

inline struct usage some_usage() {
  return usage{11, 12, 13'000'000, 4096, 777};
}

inline process_info info() {
  process_info x;
  x.pid = 42;
  x.global = global_pid{"node-1", 42};
  x.agent_id = "worker-1";
  x.agent_type = "echo";
  x.backend = "Remote";
  x.node = "node-2";
  x.state = process_state::exited;
  x.parent = 3;
  x.children = {43, 44, 18446744073709551615ull};
  x.caps = caps();
  x.limits = all_limits();
  x.usage = some_usage();
  x.restart = restart_type::temporary;
  x.restart_count = 2;
  x.start_time_ms = 1'700'000'000'123;
  x.exit = crash();
  x.backend_details = {{"enclave_type", "simulation"},
                       {"measurement", std::string(64, 'a')}};
  return x;
}

inline state_change change() {
  return state_change{42, "worker-1", process_state::stopping,
                      process_state::exited,
                      exit_reason{exit_kind::killed, ""}, 1'700'000'000'456};
}

inline dead_letter letter() {
  return dead_letter{binary_message(), "worker-9",
                     dead_letter_reason::mailbox_full, -5};
}

} // namespace corral::samples

namespace corral::checks {

// Field-by-field comparisons: each field is its own assertion, so a
// failure names the field that was lost or changed.

template <class T>
void check_same(const std::optional<T>& x, const std::optional<T>& y);

inline void check_same(std::uint64_t x, std::uint64_t y) {
  BOOST_TEST(x == y);
}

inline void check_same(const std::string& x, const std::string& y) {
  BOOST_TEST(x == y);
}

inline void check_same(const global_pid& x, const global_pid& y) {
  BOOST_TEST(x.node == y.node);
  BOOST_TEST(x.pid == y.pid);
}

inline void check_same(const enclave_config& x, const enclave_config& y) {
  BOOST_TEST(x.type == y.type);
  BOOST_TEST(x.workload == y.workload);
  check_same(x.expected_measurement, y.expected_measurement);
  BOOST_TEST(x.memory_bytes == y.memory_bytes);
  BOOST_TEST(x.debug == y.debug);
}

inline void check_same(const native_backend&, const native_backend&) {
}

inline void check_same(const wasm_backend& x, const wasm_backend& y) {
  BOOST_TEST(x.module == y.module);
}

inline void check_same(const container_backend& x,
                       const container_backend& y) {
  BOOST_TEST(x.image == y.image);
}

inline void check_same(const tee_backend& x, const tee_backend& y) {
  check_same(x.enclave, y.enclave);
}

inline void check_same(const remote_backend& x, const remote_backend& y);

template <class... Ts>
void check_same(const std::variant<Ts...>& x, const std::variant<Ts...>& y) {
  BOOST_TEST_REQUIRE(x.index() == y.index());
  std::visit(
    [&y](const auto& alternative) {
      using alternative_type = std::decay_t<decltype(alternative)>;
      check_same(alternative, std::get<alternative_type>(y));
    },
    x);
}

inline void check_same(const remote_backend& x, const remote_backend& y) {
  BOOST_TEST(x.node_id == y.node_id);
  check_same(x.inner, y.inner);
}

inline void check_same(const send_scope& x, const send_scope& y) {
  BOOST_TEST(x.kind == y.kind);
  BOOST_TEST(x.agents == y.agents);
  BOOST_TEST(x.topics == y.topics);
}

inline void check_same(const capabilities& x, const capabilities& y) {
  BOOST_TEST(x.can_spawn == y.can_spawn);
  check_same(x.can_send, y.can_send);
  BOOST_TEST(x.can_publish == y.can_publish);
  BOOST_TEST(x.can_network == y.can_network);
  BOOST_TEST(x.host_functions == y.host_functions);
}

inline void check_same(const struct limits& x, const struct limits& y) {
  check_same(x.memory_bytes, y.memory_bytes);
  check_same(x.cpu_ms, y.cpu_ms);
  check_same(x.fuel, y.fuel);
  check_same(x.max_messages, y.max_messages);
  check_same(x.message_timeout_ms, y.message_timeout_ms);
  check_same(x.mailbox_size, y.mailbox_size);
  check_same(x.fuel_per_message, y.fuel_per_message);
  check_same(x.call_depth, y.call_depth);
  check_same(x.value_stack, y.value_stack);
}

inline void check_same(const supervisor_spec& x, const supervisor_spec& y) {
  BOOST_TEST(x.strategy == y.strategy);
  BOOST_TEST(x.max_restarts == y.max_restarts);
  BOOST_TEST(x.period_ms == y.period_ms);
  BOOST_TEST(x.backoff_initial_ms == y.backoff_initial_ms);
  BOOST_TEST(x.backoff_max_ms == y.backoff_max_ms);
}

inline void check_same(const std::map<std::string, std::string>& x,
                       const std::map<std::string, std::string>& y) {
  BOOST_TEST(x.size() == y.size());
  for (const auto& [key, value] : x) {
    auto found = y.find(key);
    BOOST_TEST_REQUIRE((found != y.end()), "missing key " << key);
    BOOST_TEST(found->second == value);
  }
}

inline void check_same(const spawn_request& x, const spawn_request& y) {
  BOOST_TEST(x.agent_id == y.agent_id);
  BOOST_TEST(x.agent_type == y.agent_type);
  check_same(x.caps, y.caps);
  check_same(x.parent_pid, y.parent_pid);
  check_same(x.env, y.env);
  check_same(x.backend, y.backend);
  BOOST_TEST(x.restart == y.restart);
  check_same(x.supervision, y.supervision);
  check_same(x.limits, y.limits);
}

inline void check_same(const spawn_result& x, const spawn_result& y) {
  BOOST_TEST(x.pid == y.pid);
  BOOST_TEST(x.agent_id == y.agent_id);
  check_same(x.global, y.global);
}

inline void check_same(const message& x, const message& y) {
  check_same(x.from, y.from);
  check_same(x.to, y.to);
  BOOST_TEST(x.topic == y.topic);
  BOOST_TEST(x.payload == y.payload);
  BOOST_TEST(x.correlation_id == y.correlation_id);
  BOOST_TEST(x.trace_id == y.trace_id);
  BOOST_TEST(x.kind == y.kind);
}

inline void check_same(const exit_reason& x, const exit_reason& y) {
  BOOST_TEST(x.kind == y.kind);
  BOOST_TEST(x.detail == y.detail);
}

inline void check_same(const struct usage& x, const struct usage& y) {
  BOOST_TEST(x.messages_in == y.messages_in);
  BOOST_TEST(x.messages_out == y.messages_out);
  BOOST_TEST(x.cpu_ns == y.cpu_ns);
  BOOST_TEST(x.memory_bytes == y.memory_bytes);
  BOOST_TEST(x.fuel == y.fuel);
}

inline void check_same(const process_info& x, const process_info& y) {
  BOOST_TEST(x.pid == y.pid);
  check_same(x.global, y.global);
  BOOST_TEST(x.agent_id == y.agent_id);
  BOOST_TEST(x.agent_type == y.agent_type);
  BOOST_TEST(x.backend == y.backend);
  BOOST_TEST(x.node == y.node);
  BOOST_TEST(x.state == y.state);
  BOOST_TEST(x.parent == y.parent);
  BOOST_TEST(x.children == y.children);
  check_same(x.caps, y.caps);
  check_same(x.limits, y.limits);
  check_same(x.usage, y.usage);
  BOOST_TEST(x.restart == y.restart);
  BOOST_TEST(x.restart_count == y.restart_count);
  BOOST_TEST(x.start_time_ms == y.start_time_ms);
  check_same(x.exit, y.exit);
  BOOST_TEST(x.backend_details == y.backend_details);
}

inline void check_same(const state_change& x, const state_change& y) {
  BOOST_TEST(x.pid == y.pid);
  BOOST_TEST(x.agent_id == y.agent_id);
  BOOST_TEST(x.from == y.from);
  BOOST_TEST(x.to == y.to);
  check_same(x.exit, y.exit);
  BOOST_TEST(x.time_ms == y.time_ms);
}

inline void check_same(const dead_letter& x, const dead_letter& y) {
  check_same(x.message, y.message);
  BOOST_TEST(x.target == y.target);
  BOOST_TEST(x.reason == y.reason);
  BOOST_TEST(x.time_ms == y.time_ms);
}

template <class T>
void check_same(const std::optional<T>& x, const std::optional<T>& y) {
  BOOST_TEST_REQUIRE(x.has_value() == y.has_value());
  if (x)
    check_same(*x, *y);
}

} // namespace corral::checks
