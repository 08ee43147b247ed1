// The JSON forms: round trips of every type and backend through JSON text,
// the exact shapes users write, and the defaults of absent fields.

#include <string>

#include <boost/test/unit_test.hpp>

#include "serialization/json_forms.hpp"
#include "serialization_samples.hpp"

using namespace corral;
using corral::checks::check_same;
using nlohmann::json;

namespace {

json parse(const std::string& text) {
  auto parsed = parse_json_text(text);
  BOOST_TEST_REQUIRE(static_cast<bool>(parsed), to_string(parsed.error()));
  return *parsed;
}

template <class T>
T read(const std::string& text) {
  auto decoded = from_json<T>(parse(text));
  BOOST_TEST_REQUIRE(static_cast<bool>(decoded), to_string(decoded.error()));
  return *decoded;
}

/// Writes `value` as JSON text and reads it back.
template <class T>
T round_trip(const T& value) {
  return read<T>(to_json(value).dump());
}

} // namespace

BOOST_AUTO_TEST_SUITE(json_round_trips)

BOOST_AUTO_TEST_CASE(global_pid_round_trips) {
  check_same(round_trip(samples::pid()), samples::pid());
}

BOOST_AUTO_TEST_CASE(enclave_config_round_trips) {
  check_same(round_trip(samples::enclave()), samples::enclave());
  auto any_measurement = samples::enclave();
  any_measurement.expected_measurement.reset();
  check_same(round_trip(any_measurement), any_measurement);
}

BOOST_AUTO_TEST_CASE(every_backend_round_trips) {
  for (const auto& backend : samples::backends())
    check_same(round_trip(backend), backend);
}

BOOST_AUTO_TEST_CASE(every_local_backend_round_trips) {
  for (const auto& backend : samples::local_backends())
    check_same(round_trip(backend), backend);
}

BOOST_AUTO_TEST_CASE(every_send_scope_round_trips) {
  for (const auto& scope : samples::send_scopes()) {
    auto caps = samples::caps();
    caps.can_send = scope;
    check_same(round_trip(caps), caps);
  }
}

BOOST_AUTO_TEST_CASE(capabilities_round_trip) {
  check_same(round_trip(samples::caps()), samples::caps());
  check_same(round_trip(capabilities{}), capabilities{});
}

BOOST_AUTO_TEST_CASE(limits_round_trip_set_and_unset) {
  check_same(round_trip(samples::all_limits()), samples::all_limits());
  check_same(round_trip(limits{}), limits{});
}

BOOST_AUTO_TEST_CASE(supervisor_spec_round_trips) {
  check_same(round_trip(samples::supervision()), samples::supervision());
}

BOOST_AUTO_TEST_CASE(spawn_request_round_trips) {
  check_same(round_trip(samples::request()), samples::request());
}

BOOST_AUTO_TEST_CASE(spawn_request_round_trips_with_every_backend) {
  for (const auto& backend : samples::backends()) {
    auto request = samples::request();
    request.backend = backend;
    check_same(round_trip(request), request);
  }
}

BOOST_AUTO_TEST_CASE(spawn_result_round_trips) {
  check_same(round_trip(samples::spawned()), samples::spawned());
}

BOOST_AUTO_TEST_CASE(message_round_trips_text_payload) {
  check_same(round_trip(samples::text_message()), samples::text_message());
}

BOOST_AUTO_TEST_CASE(message_round_trips_binary_payload) {
  check_same(round_trip(samples::binary_message()), samples::binary_message());
}

BOOST_AUTO_TEST_CASE(exit_reason_round_trips_every_kind) {
  auto last = static_cast<unsigned>(exit_kind::attestation_failed);
  for (unsigned kind = 0; kind <= last; ++kind) {
    exit_reason with_detail{static_cast<exit_kind>(kind), "why"};
    check_same(round_trip(with_detail), with_detail);
    exit_reason without_detail{static_cast<exit_kind>(kind), ""};
    check_same(round_trip(without_detail), without_detail);
  }
}

BOOST_AUTO_TEST_CASE(usage_round_trips) {
  check_same(round_trip(samples::some_usage()), samples::some_usage());
}

BOOST_AUTO_TEST_CASE(process_info_round_trips) {
  check_same(round_trip(samples::info()), samples::info());
  auto running = samples::info();
  running.exit.reset();
  running.start_time_ms = -1;
  check_same(round_trip(running), running);
}

BOOST_AUTO_TEST_CASE(state_change_round_trips) {
  check_same(round_trip(samples::change()), samples::change());
}

BOOST_AUTO_TEST_CASE(dead_letter_round_trips) {
  check_same(round_trip(samples::letter()), samples::letter());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_shapes)

BOOST_AUTO_TEST_CASE(native_is_written_as_bare_name) {
  BOOST_TEST(to_json(spawn_backend{native_backend{}}) == json("Native"));
}

BOOST_AUTO_TEST_CASE(native_reads_from_every_unit_form) {
  for (const char* text : {R"("Native")", R"({"Native":{}})",
                           R"({"Native":null})"}) {
    auto backend = read<spawn_backend>(text);
    BOOST_TEST(std::holds_alternative<native_backend>(backend), text);
  }
}

BOOST_AUTO_TEST_CASE(backends_are_externally_tagged) {
  BOOST_TEST(to_json(spawn_backend{wasm_backend{"a.wasm"}})
             == parse(R"({"Wasm":{"module":"a.wasm"}})"));
  BOOST_TEST(to_json(spawn_backend{container_backend{"x"}})
             == parse(R"({"Container":{"image":"x"}})"));
  BOOST_TEST(to_json(spawn_backend{remote_backend{"n2", native_backend{}, {}}})
             == parse(R"({"Remote":{"node_id":"n2","backend":"Native"}})"));
}

BOOST_AUTO_TEST_CASE(tee_form_has_every_enclave_field) {
  auto expected = parse(R"({"Tee":{"enclave":{
    "enclave_type":"sgx","workload":"enclaves/signer.wasm",
    "expected_measurement":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "memory_bytes":134217728,"debug":true}}})");
  BOOST_TEST(to_json(spawn_backend{tee_backend{samples::enclave()}})
             == expected);
}

BOOST_AUTO_TEST_CASE(remote_runs_native_by_default) {
  auto backend = read<spawn_backend>(R"({"Remote":{"node_id":"n2"}})");
  BOOST_TEST_REQUIRE(std::holds_alternative<remote_backend>(backend));
  const auto& remote = std::get<remote_backend>(backend);
  BOOST_TEST(remote.node_id == "n2");
  BOOST_TEST(std::holds_alternative<native_backend>(remote.inner));
}

BOOST_AUTO_TEST_CASE(remote_failover_reads_both_forms) {
  auto named = read<spawn_backend>(
    R"({"Remote":{"node_id":"n2","failover":"any"}})");
  const auto& any = std::get<remote_backend>(named).failover;
  BOOST_TEST((any.mode == failover_mode::any));
  BOOST_TEST(any.preferred.empty());

  auto listed = read<spawn_backend>(
    R"({"Remote":{"node_id":"n2",
                  "failover":{"mode":"any","preferred":["n3","n1"]}}})");
  const auto& preferred = std::get<remote_backend>(listed).failover.preferred;
  BOOST_TEST(preferred == (std::vector<std::string>{"n3", "n1"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(remote_failover_none_is_left_out) {
  auto none = to_json(spawn_backend{remote_backend{"n2", {}, {}}});
  BOOST_TEST(!none["Remote"].contains("failover"));

  auto any = to_json(spawn_backend{
    remote_backend{"n2", {}, {failover_mode::any, {"n3"}}}});
  BOOST_TEST(any["Remote"]["failover"]
             == parse(R"({"mode":"any","preferred":["n3"]})"));
}

BOOST_AUTO_TEST_CASE(measurement_is_stored_lowercase) {
  auto enclave = read<enclave_config>(
    R"({"enclave_type":"simulation","workload":"w.wasm",
        "expected_measurement":"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"})");
  BOOST_TEST(enclave.expected_measurement.value_or("")
             == samples::enclave().expected_measurement.value());
}

BOOST_AUTO_TEST_CASE(enclave_defaults_memory_and_debug) {
  auto enclave = read<enclave_config>(
    R"({"enclave_type":"tdx","workload":"w.wasm"})");
  BOOST_TEST(enclave.type == enclave_type::tdx);
  BOOST_TEST(enclave.memory_bytes == enclave_config{}.memory_bytes);
  BOOST_TEST(!enclave.debug);
  BOOST_TEST(!enclave.expected_measurement.has_value());
}

BOOST_AUTO_TEST_CASE(send_scope_without_topics_is_a_name) {
  capabilities caps;
  caps.can_send.kind = send_scope_kind::children;
  BOOST_TEST(to_json(caps)["can_send"] == json("children"));
}

BOOST_AUTO_TEST_CASE(send_scope_object_forms) {
  capabilities caps;
  caps.can_send = send_scope{send_scope_kind::listed, {"7", "w"}, {"jobs"}};
  BOOST_TEST(to_json(caps)["can_send"]
             == parse(R"({"agents":["7","w"],"topics":["jobs"]})"));
  caps.can_send = send_scope{send_scope_kind::all, {}, {"jobs"}};
  BOOST_TEST(to_json(caps)["can_send"] == parse(R"({"topics":["jobs"]})"));
  caps.can_send = send_scope{send_scope_kind::children, {}, {"jobs"}};
  BOOST_TEST(to_json(caps)["can_send"]
             == parse(R"({"scope":"children","topics":["jobs"]})"));
}

BOOST_AUTO_TEST_CASE(agents_imply_listed_scope) {
  auto caps = read<capabilities>(R"({"can_send":{"agents":["5","w-1"]}})");
  BOOST_TEST(caps.can_send.kind == send_scope_kind::listed);
  BOOST_TEST(caps.can_send.agents == (std::vector<std::string>{"5", "w-1"}));
  BOOST_TEST(caps.can_send.topics.empty());
}

BOOST_AUTO_TEST_CASE(topics_alone_keep_scope_all) {
  auto caps = read<capabilities>(R"({"can_send":{"topics":["jobs"]}})");
  BOOST_TEST(caps.can_send.kind == send_scope_kind::all);
  BOOST_TEST(caps.can_send.topics == std::vector<std::string>{"jobs"});
}

BOOST_AUTO_TEST_CASE(minimal_spawn_request_takes_defaults) {
  auto request = read<spawn_request>(R"({"agent_id":"worker-1"})");
  spawn_request expected;
  expected.agent_id = "worker-1";
  check_same(request, expected);
  BOOST_TEST(request.agent_type == "command_loop");
}

BOOST_AUTO_TEST_CASE(null_means_absent_for_optional_fields) {
  auto request = read<spawn_request>(
    R"({"agent_id":"w","capabilities":null,"parent_pid":null,
        "limits":{"fuel":null,"cpu_ms":5}})");
  BOOST_TEST(!request.caps.has_value());
  BOOST_TEST(!request.parent_pid.has_value());
  BOOST_TEST(!request.limits.fuel.has_value());
  BOOST_TEST(request.limits.cpu_ms.value_or(0) == 5u);
}

BOOST_AUTO_TEST_CASE(documented_example_request_reads) {
  // The example of docs/json-forms.md.
  auto request = read<spawn_request>(R"({
    "agent_id": "resizer-1",
    "agent_type": "command_loop",
    "backend": {"Remote": {"node_id": "n2",
                           "backend": {"Wasm": {"module": "resize.wasm"}}}},
    "capabilities": {"can_spawn": false,
                     "can_send": {"agents": ["1", "collector"]},
                     "can_publish": ["images"]},
    "parent_pid": 1,
    "env": {"QUALITY": "80"},
    "restart": "transient",
    "supervision": {"strategy": "one_for_one", "max_restarts": 3,
                    "period_ms": 5000},
    "limits": {"memory_bytes": 67108864, "fuel": 1000000000,
               "message_timeout_ms": 2000}
  })");
  BOOST_TEST(request.agent_id == "resizer-1");
  BOOST_TEST(std::string(backend_name(request.backend)) == "Remote");
  BOOST_TEST(request.caps.value().can_send.kind == send_scope_kind::listed);
  BOOST_TEST(request.env.at("QUALITY") == "80");
  BOOST_TEST(request.restart == restart_type::transient);
  BOOST_TEST(request.supervision.max_restarts == 3u);
  BOOST_TEST(request.limits.fuel.value_or(0) == 1000000000u);
}

BOOST_AUTO_TEST_CASE(spawn_request_writes_capabilities_field) {
  auto written = to_json(samples::request());
  BOOST_TEST(written.contains("capabilities"));
  BOOST_TEST(!written.contains("caps"));
  spawn_request no_caps;
  no_caps.agent_id = "w";
  BOOST_TEST(!to_json(no_caps).contains("capabilities"));
  BOOST_TEST(!to_json(no_caps).contains("parent_pid"));
}

BOOST_AUTO_TEST_CASE(global_pid_is_a_string) {
  BOOST_TEST(to_json(global_pid{"n1", 7}) == json("n1:7"));
}

BOOST_AUTO_TEST_CASE(text_payload_is_a_json_string) {
  auto written = to_json(samples::text_message());
  BOOST_TEST(written["payload"] == json(samples::text_message().payload));
  BOOST_TEST(!written.contains("payload_base64"));
  BOOST_TEST(written["from"] == json("node-1:5"));
  BOOST_TEST(written["kind"] == json("request"));
}

BOOST_AUTO_TEST_CASE(binary_payload_is_base64) {
  auto written = to_json(samples::binary_message());
  BOOST_TEST(!written.contains("payload"));
  BOOST_TEST(written["payload_base64"] == json("AP/+gCBieXRlcw=="));
}

BOOST_AUTO_TEST_CASE(base64_payload_may_hold_text) {
  auto x = read<message>(R"({"to":"n:1","payload_base64":"aGk="})");
  BOOST_TEST(x.payload == "hi");
}

BOOST_AUTO_TEST_CASE(exit_reason_omits_empty_detail) {
  BOOST_TEST(to_json(exit_reason{exit_kind::normal, ""})
             == parse(R"({"kind":"normal"})"));
  BOOST_TEST(to_json(samples::crash())
             == parse(R"({"kind":"crashed","detail":"wasm trap: unreachable"})"));
}

BOOST_AUTO_TEST_CASE(exit_reason_reads_bare_kind) {
  auto reason = read<exit_reason>(R"("node_down")");
  BOOST_TEST(reason.kind == exit_kind::node_down);
  BOOST_TEST(reason.detail.empty());
}

BOOST_AUTO_TEST_CASE(empty_limits_are_an_empty_object) {
  BOOST_TEST(to_json(limits{}) == json::object());
}

BOOST_AUTO_TEST_CASE(unsigned_fields_accept_full_range) {
  auto parsed = read<limits>(R"({"fuel":18446744073709551615,"cpu_ms":0})");
  BOOST_TEST(parsed.fuel.value_or(0) == 18446744073709551615ull);
  BOOST_TEST(parsed.cpu_ms.value_or(1) == 0u);
}

BOOST_AUTO_TEST_CASE(numbers_built_in_code_as_signed_are_read) {
  // json{{"fuel", 5}} stores a signed integer, unlike the parser.
  auto parsed = from_json<limits>(json{{"fuel", 5}});
  BOOST_TEST_REQUIRE(static_cast<bool>(parsed));
  BOOST_TEST(parsed->fuel.value_or(0) == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
