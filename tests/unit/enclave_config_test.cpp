// EnclaveConfig: every enclave type round trips through the JSON and cereal
// forms, and `enclave_config_error` names the field of each invalid value,
// because the cereal form checks structure only.

#include <string>

#include <boost/test/unit_test.hpp>

#include "serialization/binary_forms.hpp"
#include "serialization/json_forms.hpp"

using namespace corral;

namespace {

const char* const digest
  = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

enclave_config sample(enclave_type type) {
  enclave_config x;
  x.type = type;
  x.workload = "examples/wasm/echo.wat";
  x.expected_measurement = digest;
  x.memory_bytes = 32ull << 20;
  x.debug = true;
  return x;
}

void check_equal(const enclave_config& x, const enclave_config& y) {
  BOOST_TEST(to_string(x.type) == to_string(y.type));
  BOOST_TEST(x.workload == y.workload);
  BOOST_TEST(x.expected_measurement.value_or("-")
             == y.expected_measurement.value_or("-"));
  BOOST_TEST(x.memory_bytes == y.memory_bytes);
  BOOST_TEST(x.debug == y.debug);
}

std::string error_after_cereal(const enclave_config& x) {
  auto decoded = from_binary<enclave_config>(to_binary(x));
  BOOST_TEST_REQUIRE(static_cast<bool>(decoded));
  return enclave_config_error(*decoded).value_or("(valid)");
}

std::string json_error(const std::string& text) {
  auto parsed = parse_json_text(text);
  BOOST_TEST_REQUIRE(static_cast<bool>(parsed));
  auto decoded = from_json<enclave_config>(*parsed);
  return decoded ? "(accepted)" : decoded.error().detail;
}

} // namespace

BOOST_AUTO_TEST_CASE(every_type_round_trips_json) {
  for (auto type : {enclave_type::sgx, enclave_type::sev, enclave_type::tdx,
                    enclave_type::trustzone, enclave_type::simulation}) {
    auto decoded = from_json<enclave_config>(to_json(sample(type)));
    BOOST_TEST_REQUIRE(static_cast<bool>(decoded), to_string(type));
    check_equal(*decoded, sample(type));
  }
}

BOOST_AUTO_TEST_CASE(every_type_round_trips_cereal) {
  for (auto type : {enclave_type::sgx, enclave_type::sev, enclave_type::tdx,
                    enclave_type::trustzone, enclave_type::simulation}) {
    auto decoded = from_binary<enclave_config>(to_binary(sample(type)));
    BOOST_TEST_REQUIRE(static_cast<bool>(decoded), to_string(type));
    check_equal(*decoded, sample(type));
    BOOST_TEST(!enclave_config_error(*decoded).has_value());
  }
}

BOOST_AUTO_TEST_CASE(defaults_are_valid) {
  enclave_config x;
  x.workload = "w.wasm";
  BOOST_TEST(!enclave_config_error(x).has_value());
  BOOST_TEST(!x.debug);
  BOOST_TEST(!x.expected_measurement.has_value());
}

BOOST_AUTO_TEST_CASE(cereal_empty_workload_is_named) {
  auto x = sample(enclave_type::simulation);
  x.workload.clear();
  BOOST_TEST(error_after_cereal(x).rfind("workload: must not be empty", 0)
             == 0u);
}

BOOST_AUTO_TEST_CASE(cereal_nul_in_workload_is_named) {
  auto x = sample(enclave_type::simulation);
  x.workload = std::string("/w/echo.wat\0x", 13);
  BOOST_TEST(error_after_cereal(x)
             == "workload: contains a NUL byte at offset 11; a file name "
                "cannot contain one");
}

BOOST_AUTO_TEST_CASE(cereal_bad_measurement_is_named) {
  auto x = sample(enclave_type::simulation);
  x.expected_measurement = "abc";
  BOOST_TEST(error_after_cereal(x)
             == "expected_measurement: expected 64 lowercase hex digits (a "
                "SHA-256 digest), got \"abc\"");
  x.expected_measurement = std::string(64, 'A');
  BOOST_TEST(error_after_cereal(x).rfind("expected_measurement: ", 0) == 0u);
  x.expected_measurement = std::string(63, 'a') + "g";
  BOOST_TEST(error_after_cereal(x).rfind("expected_measurement: ", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(cereal_zero_memory_is_named) {
  auto x = sample(enclave_type::simulation);
  x.memory_bytes = 0;
  BOOST_TEST(error_after_cereal(x)
             == "memory_bytes: expected at least 1 byte");
}

BOOST_AUTO_TEST_CASE(cereal_huge_memory_is_named) {
  auto x = sample(enclave_type::simulation);
  x.memory_bytes = max_enclave_memory_bytes + 1;
  BOOST_TEST(error_after_cereal(x).rfind("memory_bytes: 4294967297 is more", 0)
             == 0u);
}

BOOST_AUTO_TEST_CASE(cereal_enclave_type_out_of_range_is_rejected) {
  auto bytes = to_binary(sample(enclave_type::simulation));
  // The enclave type is the first field, one byte.
  bytes[0] = 9;
  auto decoded = from_binary<enclave_config>(bytes);
  BOOST_TEST(!decoded);
}

BOOST_AUTO_TEST_CASE(json_huge_memory_is_named) {
  BOOST_TEST(json_error(R"({"enclave_type":"simulation","workload":"w",)"
                        R"("memory_bytes":4294967297})")
             == "enclave.memory_bytes: expected at most 4294967296 (4 GiB, "
                "the most a 32-bit WASM memory can use)");
}

BOOST_AUTO_TEST_CASE(json_uppercase_measurement_is_lowered) {
  auto parsed = parse_json_text(
    std::string(R"({"enclave_type":"simulation","workload":"w",)")
    + R"("expected_measurement":")" + std::string(64, 'A') + "\"}");
  BOOST_TEST_REQUIRE(static_cast<bool>(parsed));
  auto decoded = from_json<enclave_config>(*parsed);
  BOOST_TEST_REQUIRE(static_cast<bool>(decoded));
  BOOST_TEST(decoded->expected_measurement.value_or("") == std::string(64, 'a'));
}
