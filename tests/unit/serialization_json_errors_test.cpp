// The JSON forms on bad input: every error names the path and what was
// expected there.

#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "json_error_checks.hpp"
#include "serialization/json_forms.hpp"
#include "serialization_samples.hpp"

using namespace corral;
using namespace corral::testing;
using nlohmann::json;

BOOST_AUTO_TEST_SUITE(json_text_errors)

BOOST_AUTO_TEST_CASE(malformed_text_names_byte) {
  auto parsed = parse_json_text(R"({"agent_id": tru})");
  BOOST_TEST_REQUIRE(!parsed);
  BOOST_TEST(parsed.error().code == errc::invalid_request);
  BOOST_TEST(parsed.error().detail
             == "invalid JSON at byte 17: syntax error while parsing value "
                "- invalid literal; last read: '\"agent_id\": tru}'");
}

BOOST_AUTO_TEST_CASE(empty_text_is_invalid) {
  auto parsed = parse_json_text("");
  BOOST_TEST_REQUIRE(!parsed);
  BOOST_TEST(parsed.error().detail.rfind("invalid JSON at byte 1: ", 0) == 0u,
             parsed.error().detail);
}

BOOST_AUTO_TEST_CASE(trailing_text_is_invalid) {
  BOOST_TEST(!parse_json_text(R"({"agent_id":"w"} x)"));
}

BOOST_AUTO_TEST_CASE(nul_byte_is_invalid_with_position) {
  const std::string after_value{"{\"agent_id\":\"w\"}\0garbage", 24};
  auto trailing = parse_json_text(after_value);
  BOOST_TEST_REQUIRE(!trailing);
  BOOST_TEST(trailing.error().code == errc::invalid_request);
  BOOST_TEST(trailing.error().detail.rfind("invalid JSON at byte 17: a NUL byte",
                                           0)
               == 0u,
             trailing.error().detail);

  const std::string in_string{"{\"agent_id\":\"w\0x\"}", 18};
  auto inside = parse_json_text(in_string);
  BOOST_TEST_REQUIRE(!inside);
  BOOST_TEST(inside.error().detail.rfind("invalid JSON at byte 15: a NUL byte",
                                         0)
               == 0u,
             inside.error().detail);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_text_is_invalid) {
  BOOST_TEST(!parse_json_text("\"\xff\""));
}

BOOST_AUTO_TEST_CASE(number_overflow_is_invalid) {
  auto parsed = parse_json_text("1e999");
  BOOST_TEST_REQUIRE(!parsed);
  BOOST_TEST(parsed.error().detail
             == "invalid JSON: number overflow parsing '1e999'");
}

BOOST_AUTO_TEST_CASE(long_token_is_cut_in_message) {
  auto parsed = parse_json_text("\"" + std::string(100000, 'a') + "\\q\"");
  BOOST_TEST_REQUIRE(!parsed);
  BOOST_TEST(parsed.error().detail.size() < 300u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_backend_errors)

BOOST_AUTO_TEST_CASE(wasm_module_must_be_string) {
  check_errors<spawn_backend>({
    {R"({"Wasm":{"module":5}})", "backend.Wasm.module: expected a string"},
    {R"({"Wasm":{"module":""}})",
     "backend.Wasm.module: expected a non-empty string"},
    {R"({"Wasm":{}})", "backend.Wasm.module: missing required field"},
    {R"("Wasm")", "backend.Wasm.module: missing required field"},
    {R"({"Wasm":[]})", "backend.Wasm: expected an object"},
  });
}

BOOST_AUTO_TEST_CASE(container_image_must_be_string) {
  check_errors<spawn_backend>({
    {R"({"Container":{"image":null}})",
     "backend.Container.image: expected a string"},
    {R"({"Container":{}})", "backend.Container.image: missing required field"},
  });
}

BOOST_AUTO_TEST_CASE(unknown_variant_lists_expected) {
  check_errors<spawn_backend>({
    {R"({"Foo":{}})", R"(backend: unknown variant "Foo" (expected Native, )"
                      R"(Wasm, Container, Tee or Remote))"},
    {R"("native")", R"(backend: unknown variant "native" (expected Native, )"
                    R"(Wasm, Container, Tee or Remote))"},
  });
}

BOOST_AUTO_TEST_CASE(backend_object_needs_one_key) {
  check_errors<spawn_backend>({
    {"{}", "backend: expected the variant name (Native, Wasm, Container, "
           "Tee or Remote) as the only key, found 0 keys"},
    {R"({"Native":{},"Wasm":{"module":"m"}})",
     "backend: expected the variant name (Native, Wasm, Container, Tee or "
     "Remote) as the only key, found 2 keys"},
    {"5", "backend: expected a variant name or an object with one key "
          "(Native, Wasm, Container, Tee or Remote)"},
    {"null", "backend: expected a variant name or an object with one key "
             "(Native, Wasm, Container, Tee or Remote)"},
  });
}

BOOST_AUTO_TEST_CASE(variant_fields_reject_unknown_keys) {
  check_errors<spawn_backend>({
    {R"({"Native":{"x":1}})", "backend.Native.x: unknown field"},
    {R"({"Wasm":{"module":"m","fuel":1}})", "backend.Wasm.fuel: unknown field"},
  });
}

BOOST_AUTO_TEST_CASE(remote_inside_remote_is_rejected) {
  const char* nested = "backend.Remote.backend: Remote is not allowed here, "
                       "because this backend runs on the node that receives "
                       "the spawn (expected Native, Wasm, Container or Tee)";
  check_errors<spawn_backend>({
    {R"({"Remote":{"node_id":"n2","backend":{"Remote":{"node_id":"n3"}}}})",
     nested},
    {R"({"Remote":{"node_id":"n2","backend":"Remote"}})", nested},
  });
}

BOOST_AUTO_TEST_CASE(remote_needs_node_and_local_backend) {
  check_errors<spawn_backend>({
    {R"({"Remote":{}})", "backend.Remote.node_id: missing required field"},
    {R"({"Remote":{"node_id":""}})",
     "backend.Remote.node_id: expected a non-empty string"},
    {R"({"Remote":{"node_id":"n2","backend":{"Bar":{}}}})",
     R"(backend.Remote.backend: unknown variant "Bar" (expected Native, )"
     R"(Wasm, Container or Tee))"},
  });
}

BOOST_AUTO_TEST_CASE(remote_failover_is_checked) {
  check_errors<spawn_backend>({
    {R"({"Remote":{"node_id":"n2","failover":"sometimes"}})",
     R"(backend.Remote.failover: unknown value "sometimes" (expected none )"
     R"(or any))"},
    {R"({"Remote":{"node_id":"n2","failover":{}}})",
     "backend.Remote.failover.mode: missing required field"},
    {R"({"Remote":{"node_id":"n2","failover":{"mode":"any","preferred":"n3"}}})",
     "backend.Remote.failover.preferred: expected an array"},
    {R"({"Remote":{"node_id":"n2","failover":{"mode":"any","preferred":[""]}}})",
     "backend.Remote.failover.preferred: expected an array of non-empty node "
     "ids"},
  });
}

BOOST_AUTO_TEST_CASE(local_backend_rejects_remote) {
  check_errors<local_backend>({
    {R"({"Remote":{"node_id":"n2"}})",
     "backend: Remote is not allowed here, because this backend runs on the "
     "node that receives the spawn (expected Native, Wasm, Container or "
     "Tee)"},
  });
}

BOOST_AUTO_TEST_CASE(enclave_fields_are_checked) {
  check_errors<spawn_backend>({
    {R"({"Tee":{}})", "backend.Tee.enclave: missing required field"},
    {R"({"Tee":{"enclave":{"workload":"w.wasm"}}})",
     "backend.Tee.enclave.enclave_type: missing required field"},
    {R"({"Tee":{"enclave":{"enclave_type":"sgx"}}})",
     "backend.Tee.enclave.workload: missing required field"},
    {R"({"Tee":{"enclave":{"enclave_type":"sgx2","workload":"w"}}})",
     R"(backend.Tee.enclave.enclave_type: unknown value "sgx2" (expected )"
     R"(sgx, sev, tdx, trustzone or simulation))"},
    {R"({"Tee":{"enclave":{"enclave_type":"sgx","workload":"w",)"
     R"("expected_measurement":"abc"}}})",
     "backend.Tee.enclave.expected_measurement: expected 64 hex digits (a "
     "SHA-256 digest), got \"abc\""},
    {R"({"Tee":{"enclave":{"enclave_type":"sgx","workload":"w\u0000x"}}})",
     "backend.Tee.enclave.workload: contains a NUL byte at offset 1; a file "
     "or image name cannot contain one"},
    {R"({"Wasm":{"module":"/a/echo.wat\u0000x"}})",
     "backend.Wasm.module: contains a NUL byte at offset 11; a file or "
     "image name cannot contain one"},
    {R"({"Container":{"image":"\u0000"}})",
     "backend.Container.image: contains a NUL byte at offset 0; a file or "
     "image name cannot contain one"},
    {R"({"Tee":{"enclave":{"enclave_type":"sgx","workload":"w",)"
     R"("memory_bytes":0}}})",
     "backend.Tee.enclave.memory_bytes: expected at least 1 byte"},
    {R"({"Tee":{"enclave":{"enclave_type":"sgx","workload":"w",)"
     R"("memory_bytes":1.5}}})",
     "backend.Tee.enclave.memory_bytes: expected an unsigned integer"},
    {R"({"Tee":{"enclave":{"enclave_type":"sgx","workload":"w",)"
     R"("debug":"false"}}})",
     "backend.Tee.enclave.debug: expected true or false"},
  });
}

BOOST_AUTO_TEST_CASE(long_variant_name_is_cut) {
  auto name = std::string(1000, 'A');
  auto error = error_of<spawn_backend>(json(name));
  BOOST_TEST(error.size() < 200u, error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_number_errors)

BOOST_AUTO_TEST_CASE(fuel_must_be_unsigned_integer) {
  const char* expected = "limits.fuel: expected an unsigned integer";
  check_errors<limits>({
    {R"({"fuel":-1})", expected},
    {R"({"fuel":1.5})", expected},
    {R"({"fuel":1.0})", expected},
    {R"({"fuel":1e30})", expected},
    {R"({"fuel":18446744073709551616})", expected},
    {R"({"fuel":"5"})", expected},
    {R"({"fuel":true})", expected},
    {R"({"fuel":[]})", expected},
  });
}

BOOST_AUTO_TEST_CASE(max_restarts_fits_32_bits) {
  check_errors<supervisor_spec>({
    {R"({"max_restarts":4294967296})",
     "supervision.max_restarts: expected an unsigned integer up to "
     "4294967295"},
    {R"({"max_restarts":-1})",
     "supervision.max_restarts: expected an unsigned integer up to "
     "4294967295"},
  });
}

BOOST_AUTO_TEST_CASE(times_must_be_signed_64_bit_integers) {
  check_errors<process_info>({
    {R"({"start_time_ms":1.5})",
     "process_info.start_time_ms: expected an integer"},
    {R"({"start_time_ms":9223372036854775808})",
     "process_info.start_time_ms: expected an integer"},
    {R"({"children":[1,-2]})",
     "process_info.children[1]: expected an unsigned integer"},
    {R"({"restart_count":-1})",
     "process_info.restart_count: expected an unsigned integer up to "
     "4294967295"},
  });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_spawn_request_errors)

BOOST_AUTO_TEST_CASE(agent_id_is_required_and_valid) {
  check_errors<spawn_request>({
    {"{}", "spawn_request.agent_id: missing required field"},
    {R"({"agent_id":5})", "spawn_request.agent_id: expected a string"},
    {R"({"agent_id":null})", "spawn_request.agent_id: expected a string"},
    {R"({"agent_id":""})", "spawn_request.agent_id: must not be empty"},
    {R"({"agent_id":"a b"})",
     "spawn_request.agent_id: must not contain whitespace or control "
     "characters, found byte 0x20 at index 1"},
    {R"({"agent_id":"n1:5"})",
     "spawn_request.agent_id: must not contain ':' (it separates node and "
     "pid), found at index 2"},
    {R"({"agent_id":"123"})",
     "spawn_request.agent_id: must not be all digits, because it would "
     "read as a pid"},
    {R"({"agent_id":"caf\u00e9"})",
     "spawn_request.agent_id: must be ASCII, found byte 0xc3 at index 3"},
    {R"({"agent_id":"a\nb"})",
     "spawn_request.agent_id: must not contain whitespace or control "
     "characters, found byte 0x0a at index 1"},
  });
  auto too_long = json{{"agent_id", std::string(129, 'a')}};
  BOOST_TEST(error_of<spawn_request>(too_long)
             == "spawn_request.agent_id: must be at most 128 characters, got "
                "129");
}

BOOST_AUTO_TEST_CASE(unknown_field_is_named) {
  check_errors<spawn_request>({
    {R"({"agent_id":"w","colour":"red"})",
     "spawn_request.colour: unknown field"},
    {R"({"agent_id":"w","caps":{}})", "spawn_request.caps: unknown field"},
    {R"({"agent_id":"w","limits":{"fuell":5}})",
     "spawn_request.limits.fuell: unknown field"},
    {R"({"agent_id":"w","a b":1})",
     R"(spawn_request["a b"]: unknown field)"},
  });
}

BOOST_AUTO_TEST_CASE(each_field_names_its_expected_type) {
  check_errors<spawn_request>({
    {R"({"agent_id":"w","agent_type":7})",
     "spawn_request.agent_type: expected a string"},
    {R"({"agent_id":"w","agent_type":""})",
     "spawn_request.agent_type: expected a non-empty string"},
    {R"({"agent_id":"w","capabilities":[]})",
     "spawn_request.capabilities: expected an object"},
    {R"({"agent_id":"w","parent_pid":-1})",
     "spawn_request.parent_pid: expected an unsigned integer"},
    {R"({"agent_id":"w","parent_pid":"3"})",
     "spawn_request.parent_pid: expected an unsigned integer"},
    {R"({"agent_id":"w","backend":5})",
     "spawn_request.backend: expected a variant name or an object with one "
     "key (Native, Wasm, Container, Tee or Remote)"},
    {R"({"agent_id":"w","backend":{"Wasm":{"module":5}}})",
     "spawn_request.backend.Wasm.module: expected a string"},
    {R"({"agent_id":"w","restart":1})",
     "spawn_request.restart: expected a string"},
    {R"({"agent_id":"w","restart":"sometimes"})",
     R"(spawn_request.restart: unknown value "sometimes" (expected )"
     R"(permanent, transient or temporary))"},
    {R"({"agent_id":"w","supervision":[]})",
     "spawn_request.supervision: expected an object"},
    {R"({"agent_id":"w","limits":null})",
     "spawn_request.limits: expected an object"},
    {R"({"agent_id":"w","limits":{"fuel":-1}})",
     "spawn_request.limits.fuel: expected an unsigned integer"},
  });
}

BOOST_AUTO_TEST_CASE(env_must_be_strings_with_plain_names) {
  check_errors<spawn_request>({
    {R"({"agent_id":"w","env":[]})",
     "spawn_request.env: expected an object of strings"},
    {R"({"agent_id":"w","env":{"A":1}})",
     "spawn_request.env.A: expected a string"},
    {R"({"agent_id":"w","env":{"A=B":"1"}})",
     R"(spawn_request.env["A=B"]: variable name must not contain '=')"},
    {R"({"agent_id":"w","env":{"":"1"}})",
     R"(spawn_request.env[""]: variable name must not be empty)"},
    {R"({"agent_id":"w","env":{"A":"x\u0000y"}})",
     "spawn_request.env.A: must not contain a NUL byte"},
    {R"({"agent_id":"w","env":{"A\u0000":"x"}})",
     R"(spawn_request.env["A\u0000"]: variable name must not contain a )"
     R"(NUL byte)"},
  });
}

BOOST_AUTO_TEST_CASE(supervision_values_are_checked) {
  check_errors<spawn_request>({
    {R"({"agent_id":"w","supervision":{"strategy":"one_for_none"}})",
     R"(spawn_request.supervision.strategy: unknown value "one_for_none" )"
     R"((expected one_for_one, one_for_all or rest_for_one))"},
    {R"({"agent_id":"w","supervision":{"period_ms":0}})",
     "spawn_request.supervision.period_ms: expected at least 1 millisecond"},
    {R"({"agent_id":"w","supervision":{"backoff_initial_ms":5000,)"
     R"("backoff_max_ms":100}})",
     "spawn_request.supervision.backoff_initial_ms: must not exceed "
     "backoff_max_ms (100)"},
  });
}

BOOST_AUTO_TEST_CASE(capability_values_are_checked) {
  check_errors<capabilities>({
    {R"({"can_spawn":"yes"})", "capabilities.can_spawn: expected true or false"},
    {R"({"can_network":1})", "capabilities.can_network: expected true or false"},
    {R"({"can_publish":"a"})", "capabilities.can_publish: expected an array"},
    {R"({"can_publish":["a",1]})",
     "capabilities.can_publish[1]: expected a string"},
    {R"({"host_functions":[null]})",
     "capabilities.host_functions[0]: expected a string"},
  });
}

BOOST_AUTO_TEST_CASE(send_scope_values_are_checked) {
  check_errors<capabilities>({
    {R"({"can_send":"listed"})",
     R"(capabilities.can_send: unknown scope "listed" (expected all, )"
     R"(parent_only, children, none, or an object with agents and/or topics))"},
    {R"({"can_send":"everyone"})",
     R"(capabilities.can_send: unknown scope "everyone" (expected all, )"
     R"(parent_only, children, none, or an object with agents and/or topics))"},
    {R"({"can_send":5})",
     "capabilities.can_send: expected a scope name or an object with agents "
     "and/or topics"},
    {R"({"can_send":{"scope":"children","agents":["a"]}})",
     R"(capabilities.can_send.scope: must be "listed" or left out when )"
     R"(agents are given)"},
    {R"({"can_send":{"scope":"listed"}})",
     "capabilities.can_send.agents: missing required field"},
    {R"({"can_send":{"agents":"a"}})",
     "capabilities.can_send.agents: expected an array"},
    {R"({"can_send":{"agents":["a b"]}})",
     "capabilities.can_send.agents[0]: expected a pid or an agent_id, but as "
     "an agent_id it must not contain whitespace or control characters, "
     "found byte 0x20 at index 1"},
    {R"({"can_send":{"topics":"jobs"}})",
     "capabilities.can_send.topics: expected an array"},
    {R"({"can_send":{"agent":["a"]}})",
     "capabilities.can_send.agent: unknown field"},
  });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_status_errors)

BOOST_AUTO_TEST_CASE(message_fields_are_checked) {
  check_errors<message>({
    {"{}", "message.to: missing required field"},
    {R"({"to":"nope"})",
     R"(message.to: expected a global pid "node:pid", got "nope")"},
    {R"({"to":5})", R"(message.to: expected a global pid "node:pid")"},
    {R"({"to":"n:1","from":"n:"})",
     R"(message.from: expected a global pid "node:pid", got "n:")"},
    {R"({"to":"n:1","payload":5})", "message.payload: expected a string"},
    {R"({"to":"n:1","payload":"a","payload_base64":"YQ=="})",
     "message.payload_base64: cannot be given together with payload"},
    {R"({"to":"n:1","payload_base64":"Y"})",
     "message.payload_base64: invalid base64: length 1 is not a multiple of "
     "4"},
    {R"({"to":"n:1","kind":"shout"})",
     R"(message.kind: unknown value "shout" (expected cast, request, reply )"
     R"(or failure))"},
  });
}

BOOST_AUTO_TEST_CASE(exit_reason_fields_are_checked) {
  check_errors<exit_reason>({
    {R"({"kind":"exploded"})",
     R"(exit_reason.kind: unknown value "exploded" (expected normal, )"
     R"(shutdown, killed, crashed, limit_exceeded, node_down, )"
     R"(backend_failure or attestation_failed))"},
    {R"({"detail":"x"})", "exit_reason.kind: missing required field"},
    {"5", "exit_reason: expected an exit kind or an object with kind and "
          "detail"},
  });
}

BOOST_AUTO_TEST_CASE(status_fields_are_checked) {
  check_errors<state_change>({
    {R"({"to":"dead"})",
     R"(state_change.to: unknown value "dead" (expected starting, running, )"
     R"(suspended, stopping or exited))"},
    {R"({"exit":{"kind":"normal","code":0}})",
     "state_change.exit.code: unknown field"},
  });
  check_errors<dead_letter>({
    {R"({"reason":"lost"})",
     R"(dead_letter.reason: unknown value "lost" (expected unknown_target, )"
     R"(exited_target, mailbox_full, timeout, capability_denied or )"
     R"(too_large))"},
    {R"({"message":{"to":"x"}})",
     R"(dead_letter.message.to: expected a global pid "node:pid", got "x")"},
  });
  check_errors<spawn_result>({
    {R"({"global":"n1"})",
     R"(spawn_result.global: expected a global pid "node:pid", got "n1")"},
  });
  check_errors<usage>({
    {R"({"fuel":-3})", "usage.fuel: expected an unsigned integer"},
  });
}

BOOST_AUTO_TEST_SUITE_END()
