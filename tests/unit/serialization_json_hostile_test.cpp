// The JSON forms on hostile input: deep nesting, wrong document types,
// random values and mutated texts make no reader crash or throw.

#include <random>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "json_error_checks.hpp"
#include "serialization/json_forms.hpp"
#include "serialization_samples.hpp"

using namespace corral;
using namespace corral::testing;
using nlohmann::json;

namespace {

/// Calls from_json<T> and checks that it returns rather than throws.
template <class T>
void check_returns(const json& value) {
  BOOST_CHECK_NO_THROW(from_json<T>(value));
}

void check_every_type_returns(const json& value) {
  check_returns<spawn_backend>(value);
  check_returns<local_backend>(value);
  check_returns<enclave_config>(value);
  check_returns<capabilities>(value);
  check_returns<limits>(value);
  check_returns<supervisor_spec>(value);
  check_returns<spawn_request>(value);
  check_returns<spawn_result>(value);
  check_returns<global_pid>(value);
  check_returns<message>(value);
  check_returns<exit_reason>(value);
  check_returns<usage>(value);
  check_returns<process_info>(value);
  check_returns<state_change>(value);
  check_returns<dead_letter>(value);
}

/// Returns a random JSON value, at most `depth` levels deep.
json random_value(std::mt19937& random, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 0 ? 9 : 7);
  switch (kind(random)) {
    case 0:
      return nullptr;
    case 1:
      return random() % 2 == 0;
    case 2:
      return static_cast<std::int64_t>(random()) - (1ll << 31);
    case 3:
      return static_cast<std::uint64_t>(random()) << 33;
    case 4:
      return static_cast<double>(random()) / 7.0;
    case 5:
      return "Native";
    case 6:
      return "n:5";
    case 7:
      return std::string(random() % 4, 'x');
    case 8: {
      json array = json::array();
      for (auto n = random() % 3; n > 0; --n)
        array.push_back(random_value(random, depth - 1));
      return array;
    }
    default: {
      static const char* keys[] = {"Wasm", "Remote", "module", "node_id",
                                   "backend", "agents", "kind", "x"};
      json object = json::object();
      for (auto n = random() % 3; n > 0; --n)
        object[keys[random() % 8]] = random_value(random, depth - 1);
      return object;
    }
  }
}

std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

} // namespace

BOOST_AUTO_TEST_SUITE(json_hostile_input)

BOOST_AUTO_TEST_CASE(wrong_document_type_is_rejected) {
  check_errors<spawn_request>({
    {"null", "spawn_request: expected an object"},
    {"[]", "spawn_request: expected an object"},
    {R"("w")", "spawn_request: expected an object"},
  });
  check_errors<global_pid>({
    {"null", R"(global_pid: expected a global pid "node:pid")"},
  });
}

BOOST_AUTO_TEST_CASE(deep_text_is_rejected) {
  auto parsed = parse_json_text(nested_arrays(100000));
  BOOST_TEST_REQUIRE(!parsed);
  BOOST_TEST(parsed.error().detail
             == "invalid JSON at byte 257: nested deeper than 256 levels");

  auto inside_string = "[\"" + std::string(1000, '[') + "\"]";
  BOOST_TEST(static_cast<bool>(parse_json_text(inside_string)));
  BOOST_TEST(static_cast<bool>(parse_json_text(nested_arrays(256))));
}

BOOST_AUTO_TEST_CASE(deep_values_are_rejected_without_recursion) {
  // Parsed directly by nlohmann, without the depth limit, and never copied:
  // copying a json recurses.
  auto deep = json::parse(nested_arrays(100000));
  BOOST_TEST(error_of<spawn_request>(deep)
             == "spawn_request: expected an object");

  auto deep_env = json::parse(R"({"agent_id":"w","env":{"A":)"
                              + nested_arrays(100000) + "}}");
  BOOST_TEST(error_of<spawn_request>(deep_env)
             == "spawn_request.env.A: expected a string");

  auto deep_unknown = json::parse(R"({"agent_id":"w","deep":)"
                                  + nested_arrays(100000) + "}");
  BOOST_TEST(error_of<spawn_request>(deep_unknown)
             == "spawn_request.deep: unknown field");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_built_in_code_is_reported) {
  json request = {{"agent_id", "w"}, {"\xff\xfe", 1}};
  auto error = error_of<spawn_request>(request);
  BOOST_TEST(error.find("unknown field") != std::string::npos, error);
}

BOOST_AUTO_TEST_CASE(every_type_returns_on_every_primitive) {
  for (const char* text : {"null", "true", "0", "-1", "1.5", "\"s\"", "[]",
                           "{}", R"({"x":1})", R"(["Native"])"}) {
    check_every_type_returns(parse(text));
  }
}

BOOST_AUTO_TEST_CASE(random_values_in_fields_never_throw) {
  std::mt19937 random(42);
  auto valid = to_json(samples::request());
  std::vector<std::string> fields;
  for (const auto& item : valid.items())
    fields.push_back(item.key());

  for (int round = 0; round < 2000; ++round) {
    auto document = valid;
    document[fields[random() % fields.size()]] = random_value(random, 3);
    if (round % 3 == 0)
      document["backend"] = json{{"Tee", random_value(random, 3)}};
    BOOST_CHECK_NO_THROW(from_json<spawn_request>(document));
    check_every_type_returns(random_value(random, 4));
  }
}

BOOST_AUTO_TEST_CASE(mutated_text_never_throws) {
  std::mt19937 random(99);
  const std::string valid = to_json(samples::request()).dump();
  const std::string alphabet = "{}[]\":,0-9.eE\\nultraf \x01\xff";
  for (int round = 0; round < 3000; ++round) {
    auto text = valid;
    for (int flips = 1 + round % 3; flips > 0; --flips)
      text[random() % text.size()] = alphabet[random() % alphabet.size()];
    BOOST_CHECK_NO_THROW({
      auto parsed = parse_json_text(text);
      if (parsed)
        from_json<spawn_request>(*parsed);
    });
  }
}

BOOST_AUTO_TEST_SUITE_END()
