// Names of enumerators, exit reasons, global pids, agent_id rules and the
// text encodings (base64, UTF-8) used by the JSON forms.

#include <string>

#include <boost/test/unit_test.hpp>

#include "serialization/base64.hpp"
#include "serialization/enum_names.hpp"
#include "serialization/utf8.hpp"
#include "serialization_samples.hpp"

using namespace corral;

namespace {

/// Checks that every enumerator of `Enum` has a name that parses back to it,
/// and that the value after the last one has none.
template <class Enum>
void check_names_round_trip(Enum last) {
  auto count = static_cast<unsigned>(last) + 1;
  for (unsigned value = 0; value < count; ++value) {
    auto x = static_cast<Enum>(value);
    Enum parsed{};
    BOOST_TEST(from_string(to_string(x), parsed));
    BOOST_TEST(parsed == x);
  }
  BOOST_TEST(std::string(to_string(static_cast<Enum>(count))) == "unknown");
  Enum parsed{};
  BOOST_TEST(!from_string("unknown", parsed));
  BOOST_TEST(!from_string("", parsed));
}

} // namespace

BOOST_AUTO_TEST_SUITE(names)

BOOST_AUTO_TEST_CASE(every_enumerator_name_round_trips) {
  check_names_round_trip(errc::agent_exited);
  check_names_round_trip(enclave_type::simulation);
  check_names_round_trip(send_scope_kind::none);
  check_names_round_trip(restart_type::temporary);
  check_names_round_trip(restart_strategy::rest_for_one);
  check_names_round_trip(exit_kind::attestation_failed);
  check_names_round_trip(message_kind::failure);
  check_names_round_trip(process_state::exited);
  check_names_round_trip(dead_letter_reason::too_large);
}

BOOST_AUTO_TEST_CASE(names_are_snake_case) {
  BOOST_TEST(std::string(to_string(errc::process_not_found))
             == "process_not_found");
  BOOST_TEST(std::string(to_string(restart_strategy::one_for_all))
             == "one_for_all");
  BOOST_TEST(std::string(to_string(send_scope_kind::parent_only))
             == "parent_only");
  BOOST_TEST(std::string(to_string(dead_letter_reason::exited_target))
             == "exited_target");
}

BOOST_AUTO_TEST_CASE(parsing_is_case_sensitive) {
  errc code{};
  BOOST_TEST(!from_string("Timeout", code));
  BOOST_TEST(!from_string("timeout ", code));
}

BOOST_AUTO_TEST_CASE(enumerator_names_lists_all_in_order) {
  BOOST_TEST(enumerator_names<restart_type>()
             == "permanent, transient or temporary");
  BOOST_TEST(enumerator_names<enclave_type>()
             == "sgx, sev, tdx, trustzone or simulation");
}

BOOST_AUTO_TEST_CASE(failure_prints_code_and_detail) {
  BOOST_TEST(to_string(failure{errc::timeout, "no reply in 5 s"})
             == "timeout: no reply in 5 s");
  BOOST_TEST(to_string(failure{errc::spawn_failed, ""}) == "spawn_failed");
}

BOOST_AUTO_TEST_CASE(exit_reason_prints_detail_in_braces) {
  BOOST_TEST(to_string(exit_reason{exit_kind::crashed, "boom"})
             == "crashed{boom}");
  BOOST_TEST(to_string(exit_reason{exit_kind::limit_exceeded, "fuel"})
             == "limit_exceeded{fuel}");
  BOOST_TEST(to_string(exit_reason{exit_kind::normal, ""}) == "normal");
}

BOOST_AUTO_TEST_CASE(only_normal_and_shutdown_are_not_abnormal) {
  BOOST_TEST(!is_abnormal(exit_reason{exit_kind::normal, ""}));
  BOOST_TEST(!is_abnormal(exit_reason{exit_kind::shutdown, ""}));
  BOOST_TEST(is_abnormal(exit_reason{exit_kind::killed, ""}));
  BOOST_TEST(is_abnormal(exit_reason{exit_kind::crashed, "x"}));
  BOOST_TEST(is_abnormal(exit_reason{exit_kind::limit_exceeded, "fuel"}));
  BOOST_TEST(is_abnormal(exit_reason{exit_kind::node_down, ""}));
  BOOST_TEST(is_abnormal(exit_reason{exit_kind::backend_failure, "x"}));
  BOOST_TEST(is_abnormal(exit_reason{exit_kind::attestation_failed, ""}));
}

BOOST_AUTO_TEST_CASE(backend_name_matches_json_tag) {
  BOOST_TEST(std::string(backend_name(spawn_backend{native_backend{}}))
             == "Native");
  BOOST_TEST(std::string(backend_name(spawn_backend{wasm_backend{"m"}}))
             == "Wasm");
  BOOST_TEST(std::string(backend_name(spawn_backend{container_backend{"i"}}))
             == "Container");
  BOOST_TEST(std::string(backend_name(spawn_backend{tee_backend{}})) == "Tee");
  BOOST_TEST(std::string(backend_name(spawn_backend{remote_backend{"n", {}, {}}}))
             == "Remote");
  BOOST_TEST(std::string(backend_name(local_backend{tee_backend{}})) == "Tee");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pids)

BOOST_AUTO_TEST_CASE(global_pid_prints_node_colon_pid) {
  BOOST_TEST(to_string(global_pid{"node-1", 42}) == "node-1:42");
}

BOOST_AUTO_TEST_CASE(global_pid_splits_at_last_colon) {
  auto parsed = parse_global_pid("host:7000:42");
  BOOST_TEST_REQUIRE(parsed.has_value());
  BOOST_TEST(parsed->node == "host:7000");
  BOOST_TEST(parsed->pid == 42u);
}

BOOST_AUTO_TEST_CASE(global_pid_round_trips_through_text) {
  auto original = samples::pid();
  auto parsed = parse_global_pid(to_string(original));
  BOOST_TEST_REQUIRE(parsed.has_value());
  BOOST_TEST(*parsed == original);
}

BOOST_AUTO_TEST_CASE(malformed_global_pids_are_rejected) {
  for (const char* text : {"", "node", ":5", "node:", "node:-1", "node:+1",
                           "node: 1", "node:1 ", "node:0x10",
                           "node:18446744073709551616"}) {
    BOOST_TEST(!parse_global_pid(text).has_value(), "accepted " << text);
  }
}

BOOST_AUTO_TEST_CASE(pid_accepts_full_range) {
  BOOST_TEST(parse_pid("0").value_or(1) == 0u);
  BOOST_TEST(parse_pid("18446744073709551615").value_or(0)
             == 18446744073709551615ull);
}

BOOST_AUTO_TEST_CASE(pid_rejects_sign_space_and_overflow) {
  for (const char* text : {"", "-1", "+1", " 1", "1 ", "1.0", "abc",
                           "18446744073709551616"}) {
    BOOST_TEST(!parse_pid(text).has_value(), "accepted " << text);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(agent_ids)

BOOST_AUTO_TEST_CASE(ordinary_ids_are_valid) {
  for (const char* id : {"worker-1", "a", "Echo_Agent.v2", "x7", "7x",
                         "~!@#$%^&*()"}) {
    BOOST_TEST(!agent_id_error(id).has_value(), "rejected " << id);
  }
  BOOST_TEST(!agent_id_error(std::string(128, 'a')).has_value());
}

BOOST_AUTO_TEST_CASE(invalid_ids_name_the_problem) {
  BOOST_TEST(agent_id_error("").value_or("") == "must not be empty");
  BOOST_TEST(agent_id_error(std::string(129, 'a')).value_or("")
             == "must be at most 128 characters, got 129");
  BOOST_TEST(agent_id_error("node:5").value_or("")
             == "must not contain ':' (it separates node and pid), found at "
                "index 4");
  BOOST_TEST(agent_id_error("a b").value_or("")
             == "must not contain whitespace or control characters, found "
                "byte 0x20 at index 1");
  BOOST_TEST(agent_id_error("a\tb").value_or("")
             == "must not contain whitespace or control characters, found "
                "byte 0x09 at index 1");
  BOOST_TEST(agent_id_error("a\x7f").value_or("")
             == "must not contain whitespace or control characters, found "
                "byte 0x7f at index 1");
  BOOST_TEST(agent_id_error("w\xc3\xb6rker").value_or("")
             == "must be ASCII, found byte 0xc3 at index 1");
  BOOST_TEST(agent_id_error("0042").value_or("")
             == "must not be all digits, because it would read as a pid");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(text_encodings)

BOOST_AUTO_TEST_CASE(base64_matches_rfc_4648_vectors) {
  // Test vectors from RFC 4648, section 10.
  BOOST_TEST(base64_encode("") == "");
  BOOST_TEST(base64_encode("f") == "Zg==");
  BOOST_TEST(base64_encode("fo") == "Zm8=");
  BOOST_TEST(base64_encode("foo") == "Zm9v");
  BOOST_TEST(base64_encode("foob") == "Zm9vYg==");
  BOOST_TEST(base64_encode("fooba") == "Zm9vYmE=");
  BOOST_TEST(base64_encode("foobar") == "Zm9vYmFy");
}

BOOST_AUTO_TEST_CASE(base64_round_trips_every_byte) {
  std::string bytes;
  for (int i = 0; i < 256; ++i)
    bytes += static_cast<char>(i);
  for (std::size_t length = 0; length <= bytes.size(); length += 37) {
    auto original = bytes.substr(0, length);
    auto decoded = base64_decode(base64_encode(original));
    BOOST_TEST_REQUIRE(static_cast<bool>(decoded));
    BOOST_TEST(*decoded == original);
  }
}

BOOST_AUTO_TEST_CASE(base64_rejects_malformed_text) {
  auto bad_length = base64_decode("Zm9");
  BOOST_TEST(!bad_length);
  BOOST_TEST(bad_length.error().detail
             == "invalid base64: length 3 is not a multiple of 4");

  auto bad_character = base64_decode("Zm9v-A==");
  BOOST_TEST(!bad_character);
  BOOST_TEST(bad_character.error().detail
             == "invalid base64: unexpected character at index 4");

  for (const char* text : {"====", "Z===", "Zg=a", "Zm 9", "Zm9v\nYg=="})
    BOOST_TEST(!base64_decode(text), "accepted " << text);
}

BOOST_AUTO_TEST_CASE(utf8_accepts_well_formed_text) {
  BOOST_TEST(is_valid_utf8(""));
  BOOST_TEST(is_valid_utf8("plain ascii"));
  BOOST_TEST(is_valid_utf8("w\xc3\xb6rld"));
  BOOST_TEST(is_valid_utf8("\xe2\x82\xac"));         // U+20AC
  BOOST_TEST(is_valid_utf8("\xf0\x9f\x98\x80"));     // U+1F600
  BOOST_TEST(is_valid_utf8("\xf4\x8f\xbf\xbf"));     // U+10FFFF
  BOOST_TEST(is_valid_utf8(std::string("a\0b", 3))); // NUL is valid UTF-8
}

BOOST_AUTO_TEST_CASE(utf8_rejects_malformed_text) {
  BOOST_TEST(!is_valid_utf8("\x80"));             // lone continuation
  BOOST_TEST(!is_valid_utf8("\xc3"));             // truncated
  BOOST_TEST(!is_valid_utf8("\xc0\xaf"));         // overlong '/'
  BOOST_TEST(!is_valid_utf8("\xe0\x80\xaf"));     // overlong '/'
  BOOST_TEST(!is_valid_utf8("\xed\xa0\x80"));     // surrogate U+D800
  BOOST_TEST(!is_valid_utf8("\xf4\x90\x80\x80")); // above U+10FFFF
  BOOST_TEST(!is_valid_utf8("\xff"));
  BOOST_TEST(!is_valid_utf8("\xe2\x82"));          // truncated
  BOOST_TEST(!is_valid_utf8("\xe2\x28\xa1"));      // bad continuation
}

BOOST_AUTO_TEST_SUITE_END()
