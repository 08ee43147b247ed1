// Checks shared by the suites of JSON bad input: parse a text, decode it
// as a type and compare the error with the one expected.

#pragma once

#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "serialization/json_forms.hpp"

namespace corral::testing {

using nlohmann::json;

/// A JSON text and the exact error it must produce.
struct bad_case {
  const char* text;
  const char* error;
};

/// Parses `text`, and fails the test when it is not JSON.
inline json parse(const std::string& text) {
  auto parsed = parse_json_text(text);
  BOOST_TEST_REQUIRE(static_cast<bool>(parsed), to_string(parsed.error()));
  return *parsed;
}

/// Returns the error of decoding `value` as `T`, or "(accepted)".
template <class T>
std::string error_of(const json& value) {
  auto decoded = from_json<T>(value);
  if (decoded)
    return "(accepted)";
  BOOST_TEST(decoded.error().code == errc::invalid_request);
  return decoded.error().detail;
}

/// Checks that each case's text produces exactly its error.
template <class T>
void check_errors(const std::vector<bad_case>& cases) {
  for (const auto& c : cases)
    BOOST_TEST(error_of<T>(parse(c.text)) == c.error, "input: " << c.text);
}

} // namespace corral::testing
