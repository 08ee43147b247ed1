// The cereal (wire) form: round trips of every type and backend, the byte
// layout shared with cereal's own std type support, and hostile input.

#include <cstdint>
#include <random>
#include <sstream>
#include <string>

#include <sys/resource.h>

#include <boost/test/unit_test.hpp>

#include "serialization/binary_forms.hpp"
#include "serialization_samples.hpp"

using namespace corral;
using corral::checks::check_same;

namespace {

template <class T>
T round_trip(const T& value) {
  auto decoded = from_binary<T>(to_binary(value));
  BOOST_TEST_REQUIRE(static_cast<bool>(decoded), to_string(decoded.error()));
  return *decoded;
}

template <class T>
void check_rejected(const std::string& bytes) {
  auto decoded = from_binary<T>(bytes);
  BOOST_TEST_REQUIRE(!decoded);
  BOOST_TEST(decoded.error().code == errc::invalid_request);
  BOOST_TEST(decoded.error().detail.rfind("invalid binary data: ", 0) == 0u,
             decoded.error().detail);
}

/// Writes `values` with cereal's own std type support, no corral code.
template <class... Values>
std::string encode_with_cereal(const Values&... values) {
  std::ostringstream out;
  {
    cereal::PortableBinaryOutputArchive archive(
      out, cereal::PortableBinaryOutputArchive::Options::LittleEndian());
    archive(values...);
  }
  return out.str();
}

/// Returns the 8-byte little-endian length prefix that cereal writes before
/// a string.
std::string length_prefix(std::uint64_t length) {
  std::string bytes;
  for (int i = 0; i < 8; ++i)
    bytes += static_cast<char>(length >> (8 * i) & 0xff);
  return bytes;
}

/// Returns the peak resident set size of this process so far, in KiB.
long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

/// Overwrites 4 bytes at `at` with `value`, little-endian.
void put_int32(std::string& bytes, std::size_t at, std::int32_t value) {
  auto bits = static_cast<std::uint32_t>(value);
  for (int i = 0; i < 4; ++i)
    bytes[at + i] = static_cast<char>(bits >> (8 * i) & 0xff);
}

/// Replaces the first occurrence of `from` in `bytes`, which must exist.
std::string patched(std::string bytes, const std::string& from,
                    const std::string& to) {
  auto at = bytes.find(from);
  BOOST_TEST_REQUIRE(at != std::string::npos);
  return bytes.replace(at, from.size(), to);
}

/// Fails on every prefix of a valid encoding shorter than the whole.
template <class T>
void check_every_truncation_rejected(const T& value) {
  auto bytes = to_binary(value);
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    auto decoded = from_binary<T>(bytes.substr(0, length));
    BOOST_TEST(!decoded, "accepted a prefix of " << length << " of "
                                                 << bytes.size() << " bytes");
  }
}

/// Decodes `bytes` as every top-level type; only a failure or a value may
/// come back, never a crash or an exception.
void decode_as_every_type(const std::string& bytes) {
  auto check = [](const auto& decoded) {
    if (!decoded)
      BOOST_TEST(decoded.error().code == errc::invalid_request);
  };
  check(from_binary<spawn_request>(bytes));
  check(from_binary<process_info>(bytes));
  check(from_binary<dead_letter>(bytes));
  check(from_binary<state_change>(bytes));
  check(from_binary<spawn_backend>(bytes));
  check(from_binary<global_pid>(bytes));
}

} // namespace

BOOST_AUTO_TEST_SUITE(binary_round_trips)

BOOST_AUTO_TEST_CASE(global_pid_round_trips) {
  check_same(round_trip(samples::pid()), samples::pid());
}

BOOST_AUTO_TEST_CASE(enclave_config_round_trips) {
  check_same(round_trip(samples::enclave()), samples::enclave());
  enclave_config any_measurement = samples::enclave();
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
  for (const auto& scope : samples::send_scopes())
    check_same(round_trip(scope), scope);
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

BOOST_AUTO_TEST_CASE(default_spawn_request_round_trips) {
  spawn_request minimal;
  minimal.agent_id = "w";
  check_same(round_trip(minimal), minimal);
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

BOOST_AUTO_TEST_CASE(message_round_trips_any_payload) {
  check_same(round_trip(samples::text_message()), samples::text_message());
  check_same(round_trip(samples::binary_message()), samples::binary_message());
}

BOOST_AUTO_TEST_CASE(large_payload_round_trips) {
  // Larger than one read piece, so the piecewise string reader is exercised.
  auto big = samples::text_message();
  big.payload.assign(3 * binary::read_chunk_bytes + 17, 'x');
  check_same(round_trip(big), big);
}

BOOST_AUTO_TEST_CASE(exit_reason_round_trips_every_kind) {
  auto last = static_cast<unsigned>(exit_kind::attestation_failed);
  for (unsigned kind = 0; kind <= last; ++kind) {
    exit_reason reason{static_cast<exit_kind>(kind),
                       "detail " + std::to_string(kind)};
    check_same(round_trip(reason), reason);
  }
}

BOOST_AUTO_TEST_CASE(usage_round_trips) {
  check_same(round_trip(samples::some_usage()), samples::some_usage());
}

BOOST_AUTO_TEST_CASE(process_info_round_trips) {
  check_same(round_trip(samples::info()), samples::info());
  auto running = samples::info();
  running.exit.reset();
  running.state = process_state::running;
  check_same(round_trip(running), running);
}

BOOST_AUTO_TEST_CASE(state_change_round_trips) {
  check_same(round_trip(samples::change()), samples::change());
}

BOOST_AUTO_TEST_CASE(dead_letter_round_trips) {
  check_same(round_trip(samples::letter()), samples::letter());
}

BOOST_AUTO_TEST_CASE(failure_round_trips_inside_cereal) {
  // result<failure> cannot exist, so this goes through cereal directly.
  failure original{errc::backend_not_available, "no /dev/sgx_enclave"};
  std::stringstream stream;
  {
    cereal::PortableBinaryOutputArchive out(stream);
    out(original);
  }
  failure decoded;
  {
    cereal::PortableBinaryInputArchive in(stream);
    in(binary::checked(decoded));
  }
  BOOST_TEST(decoded.code == original.code);
  BOOST_TEST(decoded.detail == original.detail);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(binary_layout)

BOOST_AUTO_TEST_CASE(encoding_starts_with_little_endian_flag) {
  auto bytes = to_binary(samples::pid());
  BOOST_TEST_REQUIRE(!bytes.empty());
  BOOST_TEST(static_cast<int>(bytes[0]) == 1);
}

BOOST_AUTO_TEST_CASE(layout_matches_cereal_std_types) {
  auto x = samples::info();
  auto expected = encode_with_cereal(
    x.pid, x.global.node, x.global.pid, x.agent_id, x.agent_type, x.backend,
    x.node, x.state, x.parent, x.children, x.caps.can_spawn,
    x.caps.can_send.kind, x.caps.can_send.agents, x.caps.can_send.topics,
    x.caps.can_publish, x.caps.can_network, x.caps.host_functions,
    x.limits.memory_bytes, x.limits.cpu_ms, x.limits.fuel,
    x.limits.max_messages, x.limits.message_timeout_ms,
    x.limits.mailbox_size, x.limits.fuel_per_message, x.limits.call_depth,
    x.limits.value_stack, x.usage.messages_in, x.usage.messages_out,
    x.usage.cpu_ns, x.usage.memory_bytes, x.usage.fuel, x.restart,
    x.restart_count, x.start_time_ms, false, x.exit->kind, x.exit->detail,
    x.backend_details);
  BOOST_TEST(to_binary(x) == expected);
}

BOOST_AUTO_TEST_CASE(reads_bytes_written_by_cereal_std_types) {
  std::map<std::string, std::string> env = {{"A", "1"}, {"B", "2"}};
  std::optional<capabilities> no_caps;
  std::optional<pid_type> parent = 7;
  spawn_backend backend = wasm_backend{"m.wasm"};
  auto bytes = encode_with_cereal(
    std::string("worker-1"), std::string("echo"), no_caps, parent, env,
    backend, restart_type::temporary, supervisor_spec{}, limits{});

  auto decoded = from_binary<spawn_request>(bytes);
  BOOST_TEST_REQUIRE(static_cast<bool>(decoded), to_string(decoded.error()));
  BOOST_TEST(decoded->agent_id == "worker-1");
  BOOST_TEST(decoded->agent_type == "echo");
  BOOST_TEST(!decoded->caps.has_value());
  BOOST_TEST(decoded->parent_pid.value_or(0) == 7u);
  check_same(decoded->env, env);
  check_same(decoded->backend, backend);
  BOOST_TEST(decoded->restart == restart_type::temporary);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(binary_bad_input)

BOOST_AUTO_TEST_CASE(empty_input_is_rejected) {
  check_rejected<spawn_request>("");
  BOOST_TEST(from_binary<global_pid>("").error().detail
             == "invalid binary data: empty input");
}

BOOST_AUTO_TEST_CASE(unknown_endianness_flag_is_rejected) {
  auto bytes = to_binary(samples::pid());
  bytes[0] = 2;
  check_rejected<global_pid>(bytes);
  BOOST_TEST(from_binary<global_pid>(bytes).error().detail
             == "invalid binary data: unknown endianness flag 2");
}

BOOST_AUTO_TEST_CASE(truncation_is_rejected_at_every_length) {
  check_every_truncation_rejected(samples::pid());
  check_every_truncation_rejected(samples::request());
  check_every_truncation_rejected(samples::spawned());
  check_every_truncation_rejected(samples::binary_message());
  check_every_truncation_rejected(samples::info());
  check_every_truncation_rejected(samples::change());
  check_every_truncation_rejected(samples::letter());
  for (const auto& backend : samples::backends())
    check_every_truncation_rejected(backend);
}

BOOST_AUTO_TEST_CASE(trailing_bytes_are_rejected) {
  auto bytes = to_binary(samples::request()) + "xyz";
  check_rejected<spawn_request>(bytes);
  BOOST_TEST(from_binary<spawn_request>(bytes).error().detail
             == "invalid binary data: 3 bytes left over after the value");
}

BOOST_AUTO_TEST_CASE(huge_string_length_is_rejected) {
  // A length prefix claiming far more bytes than present must fail after
  // reading what is there. cereal's own string loader allocates and zeroes
  // the claimed 1 GiB first, which shows in the peak RSS.
  auto peak_before = peak_rss_kib();
  for (std::uint64_t claimed : {std::uint64_t{1} << 30, std::uint64_t{1} << 62,
                                ~std::uint64_t{0}}) {
    std::string bytes = "\x01" + length_prefix(claimed) + "node";
    check_rejected<global_pid>(bytes);
  }
  BOOST_TEST(peak_rss_kib() - peak_before < 64 * 1024);
}

BOOST_AUTO_TEST_CASE(huge_vector_length_is_rejected) {
  auto x = samples::info();
  x.children = {5};
  auto bytes = patched(to_binary(x), length_prefix(1) + length_prefix(5),
                       length_prefix(std::uint64_t{1} << 60)
                         + length_prefix(5));
  check_rejected<process_info>(bytes);
}

BOOST_AUTO_TEST_CASE(huge_map_length_is_rejected) {
  auto x = samples::request();
  x.env = {{"K", "V"}};
  auto bytes = patched(to_binary(x), length_prefix(1) + length_prefix(1) + "K",
                       length_prefix(~std::uint64_t{0}) + length_prefix(1)
                         + "K");
  check_rejected<spawn_request>(bytes);
}

BOOST_AUTO_TEST_CASE(repeated_map_key_is_rejected) {
  auto x = samples::request();
  x.env = {{"A", "1"}, {"B", "2"}};
  auto bytes = patched(to_binary(x), length_prefix(1) + "B",
                       length_prefix(1) + "A");
  check_rejected<spawn_request>(bytes);
  BOOST_TEST(from_binary<spawn_request>(bytes).error().detail
             == "invalid binary data: repeated map key");
}

BOOST_AUTO_TEST_CASE(bool_byte_above_one_is_rejected) {
  // The enclave's last field is `debug`, a single byte.
  auto bytes = to_binary(samples::enclave());
  bytes.back() = 2;
  check_rejected<enclave_config>(bytes);
  BOOST_TEST(from_binary<enclave_config>(bytes).error().detail
             == "invalid binary data: invalid bool byte 2");
}

BOOST_AUTO_TEST_CASE(optional_flag_above_one_is_rejected) {
  // An empty limits is nine "nullopt" flags after the endianness byte.
  auto bytes = to_binary(limits{});
  BOOST_TEST_REQUIRE(bytes.size() == 10u);
  bytes[3] = 7;
  check_rejected<limits>(bytes);
}

BOOST_AUTO_TEST_CASE(enum_value_out_of_range_is_rejected) {
  // exit_reason starts with its kind, one byte after the endianness flag.
  auto bytes = to_binary(samples::crash());
  bytes[1] = static_cast<char>(200);
  check_rejected<exit_reason>(bytes);
  BOOST_TEST(from_binary<exit_reason>(bytes).error().detail
             == "invalid binary data: invalid enumerator 200");
}

BOOST_AUTO_TEST_CASE(variant_index_out_of_range_is_rejected) {
  // A backend starts with cereal's 32-bit variant index.
  auto native = to_binary(spawn_backend{native_backend{}});
  BOOST_TEST_REQUIRE(native.size() == 5u);
  for (std::int32_t index : {5, 99, -1, INT32_MIN}) {
    auto bytes = native;
    put_int32(bytes, 1, index);
    check_rejected<spawn_backend>(bytes);
  }

  // Remote (index 4) is valid for spawn_backend but not for local_backend.
  auto bytes = to_binary(local_backend{native_backend{}});
  put_int32(bytes, 1, 4);
  check_rejected<local_backend>(bytes);
}

BOOST_AUTO_TEST_CASE(random_garbage_never_crashes) {
  std::mt19937 random(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 300);
  for (int round = 0; round < 3000; ++round) {
    std::string bytes(static_cast<std::size_t>(length(random)), '\0');
    for (auto& c : bytes)
      c = static_cast<char>(byte(random));
    // Half the rounds start with a valid flag, so decoding goes deeper.
    if (!bytes.empty() && round % 2 == 0)
      bytes[0] = 1;
    decode_as_every_type(bytes);
  }
}

BOOST_AUTO_TEST_CASE(mutated_encodings_never_crash) {
  std::mt19937 random(7);
  const std::string originals[] = {
    to_binary(samples::request()), to_binary(samples::info()),
    to_binary(samples::letter()), to_binary(samples::change()),
  };
  for (int round = 0; round < 3000; ++round) {
    auto bytes = originals[round % 4];
    std::uniform_int_distribution<std::size_t> position(0, bytes.size() - 1);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int flips = 1 + round % 4; flips > 0; --flips)
      bytes[position(random)] = static_cast<char>(byte(random));
    decode_as_every_type(bytes);
  }
}

BOOST_AUTO_TEST_SUITE_END()
